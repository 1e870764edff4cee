package io.github.edgerep.core.face.geometry

/**
 * An axis-aligned rectangle by its edges in continuous image coordinates (the image spans
 * `0 .. width` across; pixel column `i` covers `i .. i + 1`), as detectors report face boxes.
 */
data class Box(val left: Double, val top: Double, val right: Double, val bottom: Double) {
    init {
        require(left.isFinite() && top.isFinite() && right.isFinite() && bottom.isFinite()) {
            "a box needs finite edges, got ($left, $top, $right, $bottom)"
        }
        require(left <= right && top <= bottom) { "a box needs left <= right and top <= bottom, got ($left, $top, $right, $bottom)" }
    }

    val width: Double get() = right - left
    val height: Double get() = bottom - top
    val area: Double get() = width * height

    companion object {
        /** The smallest box holding two opposite corners given in any order. */
        fun spanning(a: Point, b: Point): Box = Box(minOf(a.x, b.x), minOf(a.y, b.y), maxOf(a.x, b.x), maxOf(a.y, b.y))
    }
}
