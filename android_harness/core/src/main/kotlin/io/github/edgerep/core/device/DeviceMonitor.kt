package io.github.edgerep.core.device

import io.github.edgerep.core.bench.MonotonicClock
import io.github.edgerep.core.report.DeviceState
import io.github.edgerep.core.report.ThermalState

/** Reads the phone's state (thermal, power saving, battery): Android's system services on the phone, a fake in tests. */
fun interface DeviceMonitor {
    fun state(): DeviceState

    companion object {
        /** Observes nothing: records carry no `conditions`. */
        val NONE = DeviceMonitor { DeviceState() }
    }
}

/** How long a record waited to cool down, and whether the phone got back to where the run started. */
data class CooldownResult(val waitedS: Double, val cooled: Boolean)

/**
 * Waits, before a record, until the thermal state is back at or below [target] (the state when the
 * run started), polling every [pollSeconds], for at most [maxSeconds]; a phone still warm then runs
 * the record anyway and the record says so (`cooled: false`). A state the monitor cannot read (null
 * or an unknown name) is not waited for.
 */
class Cooldown(
    val maxSeconds: Double,
    val pollSeconds: Double = 5.0,
    private val clock: MonotonicClock = MonotonicClock.SYSTEM,
    private val sleep: (millis: Long) -> Unit = Thread::sleep,
) {
    init {
        require(maxSeconds >= 0 && maxSeconds.isFinite()) { "the cool-down must be a non-negative number of seconds, got $maxSeconds" }
        require(pollSeconds > 0 && pollSeconds.isFinite()) { "the poll interval must be positive, got $pollSeconds" }
    }

    fun await(monitor: DeviceMonitor, target: String?): CooldownResult {
        val limit = ThermalState.rank(target) ?: return CooldownResult(0.0, true)
        val start = clock.nanoTime()
        fun waited() = (clock.nanoTime() - start) / 1e9
        while (true) {
            val now = ThermalState.rank(monitor.state().thermalState) ?: return CooldownResult(waited(), true)
            if (now <= limit) return CooldownResult(waited(), true)
            val left = maxSeconds - waited()
            if (left <= 0) return CooldownResult(waited(), false)
            sleep((minOf(pollSeconds, left) * 1000).toLong().coerceAtLeast(1))
        }
    }
}
