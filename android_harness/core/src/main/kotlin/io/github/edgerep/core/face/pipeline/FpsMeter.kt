package io.github.edgerep.core.face.pipeline

/**
 * Frames per second over the last [window] frames, from monotonic timestamps: `(n - 1)` intervals
 * over the time they span. Keeps a fixed ring of timestamps (nothing allocated per frame). Not
 * thread-safe: one per analysis thread.
 */
class FpsMeter(private val window: Int = 30) {
    init {
        require(window >= 2) { "an FPS window needs at least 2 frames, got $window" }
    }

    private val stamps = LongArray(window)
    private var count = 0
    private var next = 0

    /** Records a frame at [nanos]; returns the rate so far (null until two frames). */
    fun tick(nanos: Long): Double? {
        stamps[next] = nanos
        next = (next + 1) % window
        if (count < window) count++
        if (count < 2) return null
        val newest = stamps[(next - 1 + window) % window]
        val oldest = stamps[(next - count + window) % window]
        val span = newest - oldest
        return if (span <= 0) null else (count - 1) * 1e9 / span
    }
}
