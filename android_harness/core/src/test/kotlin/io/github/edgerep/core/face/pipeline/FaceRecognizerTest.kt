package io.github.edgerep.core.face.pipeline

import io.github.edgerep.core.GoldenVectors
import io.github.edgerep.core.bench.MonotonicClock
import io.github.edgerep.core.face.FaceVectors
import io.github.edgerep.core.face.detect.DetectedFace
import io.github.edgerep.core.face.gallery.EmbeddingSpec
import io.github.edgerep.core.face.gallery.Gallery
import io.github.edgerep.core.face.geometry.ArcFaceTemplate
import io.github.edgerep.core.face.geometry.Box
import io.github.edgerep.core.face.geometry.Point
import io.github.edgerep.core.face.image.RgbFrame
import io.github.edgerep.core.face.match.Embedding
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import kotlin.math.cos
import kotlin.math.sin

class FaceRecognizerTest {
    private val spec = EmbeddingSpec("facelivt_s", FakeEmbedder.FEATURES, runtime = "litert", artifactSha256 = "c".repeat(64))

    /** A generated image and the landmarks of a face planted in it (the template turned, scaled, moved). */
    private fun planted(seed: Int, degrees: Double, scale: Double, cx: Double, cy: Double): Pair<RgbFrame, DetectedFace> {
        val frame = RgbFrame.allocate(320, 240)
        for (y in 0 until 240) for (x in 0 until 320) {
            val i = (y * 320 + x) * 3
            frame.pixels[i] = ((x * seed + y * 3) % 256).toByte()
            frame.pixels[i + 1] = ((x * x + seed * y) % 256).toByte()
            frame.pixels[i + 2] = ((250 - seed * x + 4 * y) % 256).toByte()
        }
        val t = Math.toRadians(degrees)
        val landmarks = ArcFaceTemplate.points(112).map { p ->
            val (x, y) = p.x - 56.0 to p.y - 56.0
            Point(scale * (cos(t) * x - sin(t) * y) + cx, scale * (sin(t) * x + cos(t) * y) + cy)
        }
        val box = Box(cx - 56 * scale, cy - 56 * scale, cx + 56 * scale, cy + 56 * scale)
        return frame to DetectedFace(box, landmarks)
    }

    @Test
    fun `the crop the model sees is edgerep's aligned crop`() {
        val case = GoldenVectors.cases("alignment").single { it.getString("name") == "warp_48x40_112" }
        val recognizer = FaceRecognizer(FakeEmbedder())
        recognizer.embed(FaceVectors.image(case), FaceVectors.landmarks(case.getJSONArray("landmarks")), flipSum = false)
        val crop = recognizer.lastCrop()
        assertEquals(case.getLong("uint8_sum"), crop.sumOf { it.toLong() and 0xFF })
        assertEquals(case.getLong("uint8_weighted_sum"), crop.withIndex().sumOf { (i, b) -> (i + 1) * (b.toLong() and 0xFF) })
    }

    @Test
    fun `a face enrolled from an image is recognized in it, and told apart from another`() {
        val recognizer = FaceRecognizer(FakeEmbedder())
        val (imageA, faceA) = planted(7, degrees = 12.0, scale = 1.3, cx = 150.0, cy = 120.0)
        val (imageB, faceB) = planted(13, degrees = -20.0, scale = 0.9, cx = 170.0, cy = 110.0)
        val gallery = Gallery(spec, threshold = 0.35)
            .enroll("a", listOf(recognizer.embed(imageA, faceA.landmarks, flipSum = false)))
            .enroll("b", listOf(recognizer.embed(imageB, faceB.landmarks, flipSum = false)))
        val a = recognizer.recognize(imageA, faceA, gallery)
        val b = recognizer.recognize(imageB, faceB, gallery)
        assertEquals(listOf("a", "b"), listOf(a.match.identity, b.match.identity))
        assertTrue(a.match.score!! > 1 - 1e-6, "same crop, same embedding (up to float32 storage): ${a.match.score}")
        assertTrue(a.match.scores[1].second < a.match.score!!)
    }

    @Test
    fun `flip-sum galleries embed the crop and its mirror image, as edgerep does`() {
        val embedder = FakeEmbedder()
        val recognizer = FaceRecognizer(embedder)
        val (image, face) = planted(7, degrees = 0.0, scale = 1.0, cx = 160.0, cy = 120.0)
        val flipped = recognizer.embed(image, face.landmarks, flipSum = true)
        assertEquals(listOf(false, true), embedder.calls)
        val crop = recognizer.lastCrop()
        val expected = (Embedding.of(embedder.run(crop, false)) + Embedding.of(embedder.run(crop, true))).normalized()
        assertEquals(expected, flipped)
        val plain = recognizer.embed(image, face.landmarks, flipSum = false)
        assertTrue(plain != flipped)
    }

    @Test
    fun `each stage is timed on the injected clock`() {
        val ticks = longArrayOf(0, 1_000_000, 3_000_000, 6_000_000).iterator()
        val recognizer = FaceRecognizer(FakeEmbedder(), MonotonicClock { ticks.next() })
        val (image, face) = planted(7, degrees = 0.0, scale = 1.0, cx = 160.0, cy = 120.0)
        val result = recognizer.recognize(image, face, Gallery(spec))
        assertEquals(FaceTimings(alignMs = 1.0, embedMs = 2.0, matchMs = 3.0), result.timings)
        assertEquals(null, result.match.identity, "an empty gallery knows nobody")
    }
}
