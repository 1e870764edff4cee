package io.github.edgerep.core.bench

/**
 * A monotonic clock in integer nanoseconds. On Android, `System.nanoTime` (CLOCK_MONOTONIC) or
 * `SystemClock.elapsedRealtimeNanos`; never the wall clock, which can jump (ModelBench used `Date()`).
 */
fun interface MonotonicClock {
    fun nanoTime(): Long

    companion object {
        val SYSTEM: MonotonicClock = MonotonicClock { System.nanoTime() }
    }
}
