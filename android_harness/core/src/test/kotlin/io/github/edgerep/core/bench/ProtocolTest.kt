package io.github.edgerep.core.bench

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

class ProtocolTest {
    @Test
    fun `presets are edgerep's`() {
        assertEquals(Protocol("modelbench", 20, 50, 1, 10), Protocol.MODELBENCH)
        assertEquals(Protocol("default", 5, 10, 1, 2), Protocol.DEFAULT)
        assertEquals(Protocol("quick", 2, 5, 1, 1), Protocol.QUICK)
        assertEquals(1000, Protocol.MODELBENCH.timed)
    }

    @Test
    fun `a trim that leaves nothing is refused with the largest allowed`() {
        val error = assertThrows(IllegalArgumentException::class.java) { Protocol("x", 1, 4, trim = 2) }
        assertTrue(error.message!!.contains("at most 1"), error.message)
    }

    @Test
    fun `changed counts rename the protocol and scale trim with iterations`() {
        val scaled = Protocol.MODELBENCH.withCounts(iterations = 20)
        assertEquals(Protocol("custom", 20, 20, 1, 4), scaled)
        assertEquals(Protocol.MODELBENCH, Protocol.MODELBENCH.withCounts(rounds = 20))
        assertEquals(Protocol("custom", 3, 10, 0, 2), Protocol.DEFAULT.withCounts(rounds = 3, warmup = 0))
    }

    @Test
    fun `a model that fails to predict is still closed`() {
        var closed = 0
        val loader = PredictorLoader {
            object : Predictor {
                override fun predict() = throw IllegalStateException("delegate error")
                override fun close() {
                    closed++
                }
            }
        }
        assertThrows(IllegalStateException::class.java) { ProtocolRunner().run(loader, Protocol.QUICK) }
        assertEquals(1, closed)
    }
}
