package io.github.edgerep.core.face.pipeline

/** Per-stage medians (ms) over recent frames and faces; null for a stage not measured yet. */
data class StageLatency(val convertMs: Double?, val detectMs: Double?, val alignMs: Double?, val embedMs: Double?, val matchMs: Double?)

/**
 * What the overlay shows: the median of each stage over the last [window] frames (convert, detect)
 * or faces (align, embed, match). Not thread-safe: the analysis thread owns it.
 */
class StageMeter(window: Int = 30) {
    private val convert = RollingMedian(window)
    private val detect = RollingMedian(window)
    private val align = RollingMedian(window)
    private val embed = RollingMedian(window)
    private val match = RollingMedian(window)

    fun add(frame: FrameTimings, faces: List<RecognizedFace>) {
        frame.convertMs?.let(convert::add)
        frame.detectMs?.let(detect::add)
        for (face in faces) {
            align.add(face.timings.alignMs)
            embed.add(face.timings.embedMs)
            match.add(face.timings.matchMs)
        }
    }

    fun medians(): StageLatency = StageLatency(convert.median(), detect.median(), align.median(), embed.median(), match.median())
}
