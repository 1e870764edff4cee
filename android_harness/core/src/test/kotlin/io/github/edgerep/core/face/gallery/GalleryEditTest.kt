package io.github.edgerep.core.face.gallery

import io.github.edgerep.core.face.match.Embedding
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

/** The demo's own changes to a gallery: enroll, delete, rename, threshold; each returns a new gallery. */
class GalleryEditTest {
    private val spec = EmbeddingSpec("facelivt_s", 4, runtime = "litert", artifactSha256 = "a".repeat(64))
    private val empty = Gallery(spec)
    private fun e(vararg v: Double) = Embedding.of(v)

    @Test
    fun `enrolling normalizes, rounds to float32 and keeps the order`() {
        val g = empty.enroll("ada", listOf(e(3.0, 4.0, 0.0, 0.0)), listOf("camera shot 1")).enroll("bob", listOf(e(0.0, 0.0, 0.1, 0.0)))
        assertEquals(listOf("ada", "bob"), g.names)
        assertEquals(e(0.6, 0.8, 0.0, 0.0), g.identities[0].embeddings[0])
        assertEquals(Float32Text.shortest(1.0 / 3.0), empty.enroll("c", listOf(e(1.0, 2.0, 2.0, 0.0))).identities[0].embeddings[0][0])
        assertEquals("0.33333334", Float32Text.shortest(1.0 / 3.0).toString())
        assertEquals(emptyList<String>(), empty.names, "the original gallery is unchanged")
    }

    @Test
    fun `enrolling a known name adds shots to that identity`() {
        val g = empty.enroll("ada", listOf(e(1.0, 0.0, 0.0, 0.0)), listOf("a")).enroll("ada", listOf(e(0.0, 1.0, 0.0, 0.0)), listOf("b"))
        assertEquals(1, g.identities.size)
        assertEquals(listOf("a", "b"), g.identities[0].sources)
        val thrown = assertThrows(IllegalArgumentException::class.java) { g.enroll("ada", listOf(e(0.0, 0.0, 1.0, 0.0))) }
        assertTrue(thrown.message!!.contains("sources"), thrown.message)
    }

    @Test
    fun `identification uses the new identities at once`() {
        val g = empty.enroll("ada", listOf(e(1.0, 0.0, 0.0, 0.0))).enroll("bob", listOf(e(0.0, 1.0, 0.0, 0.0)))
        assertEquals("bob", g.identify(e(0.1, 0.9, 0.0, 0.0)).identity)
        assertEquals(null, g.delete("bob").identify(e(0.1, 0.9, 0.0, 0.0)).identity, "bob deleted: unknown at 0.35")
        assertEquals("robert", g.rename("bob", "robert").identify(e(0.1, 0.9, 0.0, 0.0)).identity)
    }

    @Test
    fun `mistakes name what is wrong`() {
        val g = empty.enroll("ada", listOf(e(1.0, 0.0, 0.0, 0.0))).enroll("bob", listOf(e(0.0, 1.0, 0.0, 0.0)))
        fun message(block: () -> Unit) = assertThrows(IllegalArgumentException::class.java) { block() }.message!!
        assertTrue(message { g.delete("carl") }.contains("ada, bob"))
        assertTrue(message { g.rename("ada", "bob") }.contains("already enrolled"))
        assertTrue(message { g.rename("ada", " ") }.contains("non-empty"))
        assertTrue(message { g.enroll("eve", listOf(e(1.0, 0.0, 0.0))) }.contains("expected 4"))
        assertTrue(message { g.enroll("eve", listOf(e(0.0, 0.0, 0.0, 0.0))) }.contains("all-zero"))
        assertTrue(message { g.withThreshold(1.3) }.contains("1 - d/2"))
    }
}
