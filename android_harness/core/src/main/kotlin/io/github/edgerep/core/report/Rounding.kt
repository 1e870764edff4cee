package io.github.edgerep.core.report

import java.math.BigDecimal
import java.math.RoundingMode

/**
 * [value] rounded half-even to [decimals] places of its exact binary value: what Python's
 * `round(value, decimals)` returns, so a report written here holds the same numbers as edgerep's.
 */
fun roundHalfEven(value: Double, decimals: Int): Double {
    require(value.isFinite()) { "cannot round a non-finite number ($value): non-finite figures are failures" }
    return BigDecimal(value).setScale(decimals, RoundingMode.HALF_EVEN).toDouble()
}
