package io.github.edgerep.core.face.geometry

/**
 * A point in pixel-centre coordinates, as `cv2.warpAffine` and edgerep.face use them: the centre of
 * pixel column `i` is `x = i`, so an image of width `w` spans `-0.5 .. w - 0.5`.
 */
data class Point(val x: Double, val y: Double) {
    val isFinite: Boolean get() = x.isFinite() && y.isFinite()
}
