package io.github.edgerep.core.face.pipeline

import io.github.edgerep.core.bench.MonotonicClock
import io.github.edgerep.core.face.detect.DetectedFace
import io.github.edgerep.core.face.gallery.Gallery
import io.github.edgerep.core.face.geometry.Landmarks
import io.github.edgerep.core.face.geometry.SimilarityFit
import io.github.edgerep.core.face.image.AffineWarp
import io.github.edgerep.core.face.image.RgbFrame
import io.github.edgerep.core.face.match.Embedding

/**
 * Align, embed, match: the part of the pipeline after detection, the same for camera frames and still
 * images. Landmarks (in the image's coordinates, template order) are fitted onto the ArcFace template
 * of the model's crop size, the image is warped into a reused crop buffer, the model embeds it
 * (with the mirrored crop too when the gallery was enrolled with flip-sum, as edgerep embeds), and the
 * gallery is searched exactly. One recognizer per thread: the crop buffer is reused.
 */
class FaceRecognizer(private val embedder: FaceEmbedder, private val clock: MonotonicClock = MonotonicClock.SYSTEM) {

    val cropSize: Int get() = embedder.input.size
    private val crop = ByteArray(cropSize * cropSize * 3)

    fun recognize(image: RgbFrame, face: DetectedFace, gallery: Gallery): RecognizedFace {
        val start = clock.nanoTime()
        align(image, face.landmarks)
        val aligned = clock.nanoTime()
        val embedding = embedCrop(gallery.spec.flipSum)
        val embedded = clock.nanoTime()
        val match = gallery.identify(embedding)
        val matched = clock.nanoTime()
        return RecognizedFace(face, embedding, match, FaceTimings(ms(start, aligned), ms(aligned, embedded), ms(embedded, matched)))
    }

    /** The normalized embedding of the face at [landmarks] (for enrollment). */
    fun embed(image: RgbFrame, landmarks: Landmarks, flipSum: Boolean): Embedding {
        align(image, landmarks)
        return embedCrop(flipSum)
    }

    /** A copy of the last aligned crop (`cropSize` x `cropSize` x 3 RGB), e.g. to save it for inspection. */
    fun lastCrop(): ByteArray = crop.copyOf()

    private fun align(image: RgbFrame, landmarks: Landmarks) {
        AffineWarp.warp(image, SimilarityFit.toTemplate(landmarks, cropSize), cropSize, crop)
    }

    private fun embedCrop(flipSum: Boolean): Embedding {
        val raw = Embedding.of(embedder.run(crop, mirror = false), "the model's output")
        val sum = if (flipSum) raw + Embedding.of(embedder.run(crop, mirror = true), "the model's output (mirrored crop)") else raw
        return sum.normalized("the model's output")
    }

    private fun ms(start: Long, end: Long): Double = (end - start) / 1e6
}
