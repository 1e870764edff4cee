package io.github.edgerep.core.face.gallery

import java.math.BigDecimal
import java.math.MathContext
import java.math.RoundingMode

/**
 * Galleries store embeddings with float32 precision: each number is the shortest decimal that reads
 * back as the same float32 (edgerep.face.gallery `float32_shortest`: `float(str(np.float32(v)))`),
 * kept as the double nearest to that decimal. Computed with BigDecimal, so every JVM gives the
 * same digits (`Float.toString` is the shortest only from JDK 19).
 */
object Float32Text {

    fun shortest(value: Double): Double {
        val f = value.toFloat()
        require(f.isFinite()) { "$value does not fit a float32" }
        if (f == 0f) return f.toDouble()
        val exact = BigDecimal(f.toDouble())
        for (digits in 1..9) {
            val context = MathContext(digits, RoundingMode.HALF_EVEN)
            // The nearest decimal of this length, or (when the float's rounding interval is lopsided,
            // at a power of two) a neighbour of it; the closest one that reads back wins.
            val candidates = listOf(
                exact.round(context),
                exact.round(MathContext(digits, RoundingMode.FLOOR)),
                exact.round(MathContext(digits, RoundingMode.CEILING)),
            )
            val found = candidates.filter { it.toFloat() == f }.minByOrNull { it.subtract(exact).abs() }
            if (found != null) return found.toDouble()
        }
        return f.toDouble()
    }
}
