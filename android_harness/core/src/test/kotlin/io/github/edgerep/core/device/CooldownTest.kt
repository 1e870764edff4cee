package io.github.edgerep.core.device

import io.github.edgerep.core.bench.MonotonicClock
import io.github.edgerep.core.report.DeviceState
import io.github.edgerep.core.report.ThermalState
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Test

class CooldownTest {
    /** A phone whose thermal state is read from [states] once per poll; time passes only in sleep. */
    private class FakePhone(private val states: List<String?>) : DeviceMonitor, MonotonicClock {
        var nanos = 0L
        var reads = 0
        val sleeps = mutableListOf<Long>()
        override fun state() = DeviceState(thermalState = states[minOf(reads++, states.size - 1)])
        override fun nanoTime() = nanos
        fun sleep(millis: Long) {
            sleeps += millis
            nanos += millis * 1_000_000
        }
    }

    private fun cooldown(phone: FakePhone, max: Double) = Cooldown(max, pollSeconds = 5.0, clock = phone, sleep = phone::sleep)

    @Test
    fun `waits until the thermal state is back where the run started`() {
        val phone = FakePhone(listOf("moderate", "light", "none"))
        val result = cooldown(phone, 60.0).await(phone, target = "none")
        assertEquals(CooldownResult(10.0, true), result)
        assertEquals(listOf(5000L, 5000L), phone.sleeps)
    }

    @Test
    fun `a phone at or below the starting state does not wait`() {
        val phone = FakePhone(listOf("light"))
        assertEquals(CooldownResult(0.0, true), cooldown(phone, 60.0).await(phone, target = "light"))
        assertEquals(emptyList<Long>(), phone.sleeps)
    }

    @Test
    fun `a phone still warm at the limit runs anyway, and the record says it did not cool`() {
        val phone = FakePhone(listOf("severe"))
        val result = cooldown(phone, 12.0).await(phone, target = "none")
        assertEquals(CooldownResult(12.0, false), result)
        assertEquals(listOf(5000L, 5000L, 2000L), phone.sleeps, "the last sleep stops at the limit")
    }

    @Test
    fun `an unreadable thermal state is not waited for`() {
        val phone = FakePhone(listOf(null))
        assertEquals(CooldownResult(0.0, true), cooldown(phone, 60.0).await(phone, target = "none"))
        assertEquals(CooldownResult(0.0, true), cooldown(phone, 60.0).await(FakePhone(listOf("severe")), target = null))
    }

    @Test
    fun `Android's status codes are named in order, unknown ones kept`() {
        assertEquals("none", ThermalState.android(0))
        assertEquals("severe", ThermalState.android(3))
        assertEquals("shutdown", ThermalState.android(6))
        assertEquals("status_9", ThermalState.android(9))
        assertEquals(true, ThermalState.rank("light")!! < ThermalState.rank("severe")!!)
        assertThrows(IllegalArgumentException::class.java) { Cooldown(-1.0) }
    }
}
