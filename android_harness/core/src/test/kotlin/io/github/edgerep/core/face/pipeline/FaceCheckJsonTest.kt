package io.github.edgerep.core.face.pipeline

import io.github.edgerep.core.face.detect.DetectedFace
import io.github.edgerep.core.face.geometry.Box
import io.github.edgerep.core.face.geometry.Landmarks
import io.github.edgerep.core.face.match.Embedding
import io.github.edgerep.core.face.match.Match
import org.json.JSONObject
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

/** The device-farm check's JSON: per face identity, score and stage latencies; per stage the medians. */
class FaceCheckJsonTest {
    private fun face(identity: String?, score: Double, align: Double, embed: Double, size: Double = 10.0) = RecognizedFace(
        DetectedFace(Box(0.0, 0.0, size, size), Landmarks.of(1.0, 1.0, 8.0, 1.0, 5.0, 5.0, 2.0, 8.0, 8.0, 8.0)),
        Embedding.of(doubleArrayOf(1.0, 0.0)),
        Match(identity, identity ?: "ada", score, 0.35, listOf("ada" to score)),
        FaceTimings(align, embed, 0.25),
    )

    private val check = FaceCheck(
        created = "2026-11-30T10:15:00Z",
        device = mapOf("model" to "Pixel 8", "soc" to null),
        model = FaceCheck.Model("facelivt_s", "facelivt_s.tflite", "e".repeat(64), "litert", "1.4.2", "xnnpack", 4),
        gallery = FaceCheck.GalleryInfo("gallery.json", listOf("ada"), 0.35),
        images = listOf(
            FaceCheck.Image("ada/1.png", 512, 512, "given", "ada", FrameTimings(null, null), listOf(face("ada", 0.998, 1.0, 20.0))),
            FaceCheck.Image(
                "crowd.png", 640, 480, "mlkit", "ada", FrameTimings(3.0, 15.0),
                listOf(face(null, 0.2, 2.0, 22.0, size = 40.0), face("ada", 0.9, 3.0, 24.0, size = 5.0)),
            ),
        ),
    )

    @Test
    fun `faces, the subject's verdict and stage medians`() {
        val json = JSONObject(FaceCheckJson.encode(check))
        assertEquals("edgerep.facecheck/1", json.getString("schema"))
        val images = json.getJSONArray("images")
        assertEquals(true, images.getJSONObject(0).getBoolean("correct"))
        assertEquals(false, images.getJSONObject(1).getBoolean("correct"), "the largest face is the subject, and it is unknown")
        assertTrue(images.getJSONObject(1).getJSONArray("faces").getJSONObject(0).isNull("identity"))
        assertTrue(images.getJSONObject(0).isNull("detect_ms"), "given landmarks: no detection")
        val summary = json.getJSONObject("summary")
        assertEquals(listOf(2, 3, 2, 1), listOf("images", "faces", "expected", "correct").map { summary.getInt(it) })
        assertEquals(15.0, summary.getDouble("median_detect_ms"))
        assertEquals(2.0, summary.getDouble("median_align_ms"))
        assertEquals(22.0, summary.getDouble("median_embed_ms"))
        assertTrue(json.getJSONObject("device").isNull("soc"))
    }
}
