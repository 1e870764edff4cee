package io.github.edgerep.facedemo

import android.graphics.Bitmap
import com.google.mlkit.vision.common.InputImage
import io.github.edgerep.core.bench.MonotonicClock
import io.github.edgerep.core.face.detect.DetectedFace
import io.github.edgerep.core.face.gallery.Gallery
import io.github.edgerep.core.face.geometry.FrameGeometry
import io.github.edgerep.core.face.image.RgbFrame
import io.github.edgerep.core.face.pipeline.FaceCheck
import io.github.edgerep.core.face.pipeline.FaceRecognizer
import io.github.edgerep.core.face.pipeline.FrameTimings
import java.io.File
import java.io.FileOutputStream

/**
 * The pipeline on still images (no camera): the headless check for device farms runs it. A bitmap is
 * read as RGB (upright, as decoded), faces come from ML Kit or are given (a `<photo>.json` sidecar
 * as `edgerep face detect --json` writes), then the core aligns, embeds and matches as on the camera.
 */
class StillImages(private val detector: MlKitFaces, private val recognizer: FaceRecognizer, private val clock: MonotonicClock = MonotonicClock.SYSTEM) {

    fun rgb(bitmap: Bitmap): RgbFrame {
        val pixels = IntArray(bitmap.width * bitmap.height)
        bitmap.getPixels(pixels, 0, bitmap.width, 0, 0, bitmap.width, bitmap.height)
        return RgbFrame.fromArgb(bitmap.width, bitmap.height, pixels)
    }

    /** ML Kit's faces in [bitmap] (image coordinates) and how long detection took (ms). */
    fun detect(bitmap: Bitmap): Pair<List<DetectedFace>, Double> {
        val start = clock.nanoTime()
        val faces = detector.detect(InputImage.fromBitmap(bitmap, 0), FrameGeometry(bitmap.width, bitmap.height))
        return faces to (clock.nanoTime() - start) / 1e6
    }

    /**
     * Every face of [image] recognized against [gallery]; [source] says where the faces came from
     * (`mlkit`, `given`, `planted`) and [detectMs] what detecting them cost (null when given).
     */
    fun recognize(
        name: String,
        image: RgbFrame,
        faces: List<DetectedFace>,
        source: String,
        detectMs: Double?,
        expected: String?,
        gallery: Gallery,
    ): FaceCheck.Image = FaceCheck.Image(
        name = name,
        width = image.width,
        height = image.height,
        landmarks = source,
        expected = expected,
        timings = FrameTimings(convertMs = null, detectMs = detectMs),
        faces = faces.map { recognizer.recognize(image, it, gallery) },
    )

    /** The last aligned crop as a PNG (to look at what the model saw). */
    fun saveLastCrop(file: File) {
        val size = recognizer.cropSize
        val crop = recognizer.lastCrop()
        val argb = IntArray(size * size) { i ->
            val r = crop[3 * i].toInt() and 0xFF
            val g = crop[3 * i + 1].toInt() and 0xFF
            val b = crop[3 * i + 2].toInt() and 0xFF
            (0xFF shl 24) or (r shl 16) or (g shl 8) or b
        }
        file.parentFile?.mkdirs()
        val bitmap = Bitmap.createBitmap(argb, size, size, Bitmap.Config.ARGB_8888)
        FileOutputStream(file).use { bitmap.compress(Bitmap.CompressFormat.PNG, 100, it) }
        bitmap.recycle()
    }
}
