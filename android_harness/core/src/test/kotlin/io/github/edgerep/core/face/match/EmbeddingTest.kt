package io.github.edgerep.core.face.match

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

class EmbeddingTest {
    @Test
    fun `normalization divides by the L2 norm`() {
        val unit = Embedding.of(doubleArrayOf(3.0, 4.0)).normalized()
        assertEquals(Embedding.of(doubleArrayOf(0.6, 0.8)), unit)
    }

    @Test
    fun `embeddings are values, copied in, copied out, compared by content`() {
        val source = doubleArrayOf(1.0, 2.0)
        val e = Embedding.of(source)
        source[0] = 9.0
        e.toDoubleArray()[1] = 9.0
        assertEquals(Embedding.of(doubleArrayOf(1.0, 2.0)), e)
        assertEquals(Embedding.of(doubleArrayOf(1.0, 2.0)).hashCode(), e.hashCode())
        assertNotEquals(Embedding.of(doubleArrayOf(1.0, 2.5)), e)
    }

    @Test
    fun `broken model outputs are errors, never silently dropped`() {
        val nan = assertThrows(IllegalArgumentException::class.java) { Embedding.of(floatArrayOf(1f, Float.NaN)) }
        assertTrue(nan.message!!.contains("non-finite"), nan.message)
        val huge = assertThrows(IllegalArgumentException::class.java) { Embedding.of(doubleArrayOf(1e200, 1e200)).normalized() }
        assertTrue(huge.message!!.contains("overflows"), huge.message)
    }
}
