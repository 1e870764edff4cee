package io.github.edgerep.core.face.pipeline

/**
 * The median of the last [window] values (a steadier figure for the overlay than the last frame's).
 * A fixed ring and a fixed scratch array: nothing is allocated per value. Not thread-safe.
 */
class RollingMedian(private val window: Int = 30) {
    init {
        require(window >= 1) { "a median window needs at least 1 value, got $window" }
    }

    private val values = DoubleArray(window)
    private val scratch = DoubleArray(window)
    private var count = 0
    private var next = 0

    fun add(value: Double) {
        values[next] = value
        next = (next + 1) % window
        if (count < window) count++
    }

    /** The median of what was added (mean of the middle two for an even count), null before any value. */
    fun median(): Double? {
        if (count == 0) return null
        values.copyInto(scratch, 0, 0, count)
        scratch.sort(0, count)
        val mid = count / 2
        return if (count % 2 == 1) scratch[mid] else (scratch[mid - 1] + scratch[mid]) / 2.0
    }
}
