package io.github.edgerep.core.face.geometry

/**
 * A 2x3 affine matrix `[[a, b, c], [d, e, f]]` mapping `(x, y)` to `(a*x + b*y + c, d*x + e*y + f)`.
 */
data class AffineMatrix(val a: Double, val b: Double, val c: Double, val d: Double, val e: Double, val f: Double) {
    init {
        require(listOf(a, b, c, d, e, f).all { it.isFinite() }) { "an affine matrix must be finite, got ${rows()}" }
    }

    fun apply(p: Point): Point = Point(a * p.x + b * p.y + c, d * p.x + e * p.y + f)

    /**
     * The inverse, with cv2's `invertAffineTransform` arithmetic (edgerep.facecore.alignment
     * `invert_affine`): `D = 1 / (a*e - b*d)`, `[[e*D, -b*D, -(e*D)*c - (-b*D)*f], [-d*D, a*D,
     * -(-d*D)*c - (a*D)*f]]`.
     */
    fun inverse(): AffineMatrix {
        val det = a * e - b * d
        val inv = 1.0 / det
        require(det != 0.0 && inv.isFinite()) { "affine matrix ${rows()} is singular: the landmarks are degenerate" }
        val ia = e * inv
        val ib = -b * inv
        val id = -d * inv
        val ie = a * inv
        return AffineMatrix(ia, ib, -ia * c - ib * f, id, ie, -id * c - ie * f)
    }

    fun rows(): List<List<Double>> = listOf(listOf(a, b, c), listOf(d, e, f))
}
