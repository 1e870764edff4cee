package io.github.edgerep.facedemo

import androidx.annotation.OptIn
import androidx.camera.core.ExperimentalGetImage
import androidx.camera.core.ImageAnalysis
import androidx.camera.core.ImageProxy
import com.google.mlkit.vision.common.InputImage
import io.github.edgerep.core.bench.MonotonicClock
import io.github.edgerep.core.face.geometry.FrameGeometry
import io.github.edgerep.core.face.image.RgbFrame
import io.github.edgerep.core.face.image.Yuv420Converter
import io.github.edgerep.core.face.image.Yuv420Layout
import io.github.edgerep.core.face.pipeline.Enrollment
import io.github.edgerep.core.face.pipeline.FaceRecognizer
import io.github.edgerep.core.face.pipeline.FpsMeter
import io.github.edgerep.core.face.pipeline.FrameTimings
import io.github.edgerep.core.face.pipeline.RecognizedFace
import io.github.edgerep.core.face.pipeline.StageMeter
import java.time.Instant
import java.time.temporal.ChronoUnit
import java.util.concurrent.atomic.AtomicReference

/**
 * One camera frame at a time (CameraX keeps only the latest): ML Kit finds faces and landmarks in
 * the YUV frame; when it finds any, the frame is converted to RGB by the core into a buffer reused
 * across frames, and each face is aligned, embedded and matched by the core's [FaceRecognizer]. An
 * enrollment in progress takes its shots from the same results. Runs on the analysis thread only.
 *
 * [mirror]: the front camera, whose preview is mirrored; the overlay maps through it.
 */
class FaceAnalyzer(
    private val detector: MlKitFaces,
    private val recognizer: FaceRecognizer,
    private val gallery: GalleryHolder,
    private val enrollment: AtomicReference<Enrollment?>,
    private val mirror: Boolean,
    private val onEnrolled: (Enrollment) -> Unit,
    private val onFrame: (FrameReport) -> Unit,
) : ImageAnalysis.Analyzer {
    private val clock = MonotonicClock.SYSTEM
    private val converter = Yuv420Converter()
    private val fps = FpsMeter()
    private val stages = StageMeter()
    private var rgb: RgbFrame? = null

    @OptIn(ExperimentalGetImage::class)
    override fun analyze(image: ImageProxy) {
        try {
            val media = image.image ?: return
            val rotation = image.imageInfo.rotationDegrees
            val upright = FrameGeometry(image.width, image.height, rotation, mirror = false)
            val start = clock.nanoTime()
            val faces = detector.detect(InputImage.fromMediaImage(media, rotation), upright)
            val detected = clock.nanoTime()
            var convertMs: Double? = null
            val recognized = if (faces.isEmpty()) {
                emptyList()
            } else {
                val frame = rgbFrame(image.width, image.height)
                val planes = image.planes
                val layout = Yuv420Layout(image.width, image.height, planes[0].rowStride, planes[1].rowStride, planes[1].pixelStride)
                converter.convert(planes[0].buffer, planes[1].buffer, planes[2].buffer, layout, frame)
                convertMs = (clock.nanoTime() - detected) / 1e6
                val current = gallery.current
                faces.map { recognizer.recognize(frame, it, current) }
            }
            val timings = FrameTimings(convertMs, (detected - start) / 1e6)
            stages.add(timings, recognized)
            val status = enroll(recognized, clock.nanoTime())
            onFrame(FrameReport(upright.copy(mirror = mirror), recognized, stages.medians(), fps.tick(clock.nanoTime()), status))
        } catch (e: Exception) {
            val geometry = FrameGeometry(image.width, image.height, image.imageInfo.rotationDegrees, mirror)
            onFrame(FrameReport(geometry, emptyList(), stages.medians(), null, "error: ${e.message ?: e.javaClass.simpleName}"))
        } finally {
            image.close()
        }
    }

    /** Feeds an enrollment in progress; returns its status line, or null when none is running. */
    private fun enroll(faces: List<RecognizedFace>, nanos: Long): String? {
        val session = enrollment.get() ?: return null
        val next = session.offer(faces, nanos)
        if (!enrollment.compareAndSet(session, if (next.done) null else next)) return null
        if (next.done) onEnrolled(next)
        return next.status()
    }

    /** The RGB buffer for this frame size, reused while the size stays the same. */
    private fun rgbFrame(width: Int, height: Int): RgbFrame =
        rgb?.takeIf { it.width == width && it.height == height } ?: RgbFrame.allocate(width, height).also { rgb = it }

    companion object {
        /** How shots are named in the gallery's sources. */
        fun shotLabel(now: Instant = Instant.now()): String = "camera ${now.truncatedTo(ChronoUnit.SECONDS)}"
    }
}
