package io.github.edgerep.core.face.pipeline

import io.github.edgerep.core.face.detect.DetectedFace
import io.github.edgerep.core.face.gallery.EmbeddingSpec
import io.github.edgerep.core.face.gallery.Gallery
import io.github.edgerep.core.face.geometry.Box
import io.github.edgerep.core.face.geometry.Landmarks
import io.github.edgerep.core.face.match.Embedding
import io.github.edgerep.core.face.match.Match
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

class EnrollmentTest {
    private val ms = 1_000_000L

    private fun face(vararg v: Double) = RecognizedFace(
        DetectedFace(Box(0.0, 0.0, 10.0, 10.0), Landmarks.of(1.0, 1.0, 8.0, 1.0, 5.0, 5.0, 2.0, 8.0, 8.0, 8.0)),
        Embedding.of(v),
        Match(null, null, null, 0.35, emptyList()),
        FaceTimings(0.0, 0.0, 0.0),
    )

    @Test
    fun `shots are taken one face at a time, spaced in time`() {
        var e = Enrollment("ada", needed = 2, minIntervalNanos = 400 * ms)
        e = e.offer(emptyList(), 0)
        assertEquals("ada: 0 of 2 shots (no face in view)", e.status())
        e = e.offer(listOf(face(1.0, 0.0), face(0.0, 1.0)), 10 * ms)
        assertTrue(e.status().contains("2 faces in view"))
        e = e.offer(listOf(face(1.0, 0.0)), 20 * ms)
        e = e.offer(listOf(face(0.9, 0.1)), 300 * ms)
        assertEquals(1, e.shots.size, "too soon after the first shot")
        assertFalse(e.done)
        e = e.offer(listOf(face(0.8, 0.2)), 500 * ms)
        assertTrue(e.done)
        assertEquals(e, e.offer(listOf(face(0.0, 1.0)), 2000 * ms), "a finished enrollment takes no more shots")
    }

    @Test
    fun `finished shots join the gallery with their sources`() {
        val spec = EmbeddingSpec("facelivt_s", 2, artifactSha256 = "d".repeat(64))
        val e = Enrollment("ada", needed = 2, minIntervalNanos = 0).offer(listOf(face(1.0, 0.0)), 0).offer(listOf(face(0.0, 1.0)), 1)
        val g = e.applyTo(Gallery(spec), "camera 2026-11-30T10:15:00Z")
        assertEquals(listOf("camera 2026-11-30T10:15:00Z shot 1", "camera 2026-11-30T10:15:00Z shot 2"), g.identities.single().sources)
        val noSources = Gallery(spec).enroll("ada", listOf(Embedding.of(doubleArrayOf(1.0, 1.0))))
        assertEquals(null, e.applyTo(noSources, "camera").identities.single().sources, "an identity without sources stays without")
    }
}
