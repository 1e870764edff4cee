package io.github.edgerep.core.face.image

import io.github.edgerep.core.face.geometry.AffineMatrix
import kotlin.math.floor

/**
 * The face crop: an image warped by an affine matrix into a `size` x `size` RGB crop, exactly as
 * edgerep.facecore.alignment `warp_affine` + `to_uint8` (golden vectors `alignment`), in plain double
 * arithmetic in the same order (the JVM never fuses a multiply-add), so the bytes agree:
 *
 * - destination pixel (x, y) samples `(sx, sy) = ((ia*x + ib*y) + ic, (id*x + ie*y) + if)` with
 *   `[[ia, ib, ic], [id, ie, if]]` = [AffineMatrix.inverse];
 * - bilinear: `x0 = floor(sx)`, `fx = sx - x0` (y alike);
 *   `v = (1 - fy) * ((1 - fx)*p00 + fx*p10) + fy * ((1 - fx)*p01 + fx*p11)`, a neighbour outside the
 *   image contributing 0 (cv2's BORDER_CONSTANT 0);
 * - bytes: `clamp(floor(v + 0.5), 0, 255)` (round half up).
 */
object AffineWarp {

    /** The crop of [image] under [matrix] into [out] (`size * size * 3` bytes, RGB rows); nothing is allocated per pixel. */
    fun warp(image: RgbFrame, matrix: AffineMatrix, size: Int, out: ByteArray) {
        require(size >= 1) { "crop size must be positive, got $size" }
        require(out.size >= size * size * 3) { "a ${size}x$size crop needs ${size * size * 3} bytes, the buffer has ${out.size}" }
        val inv = matrix.inverse()
        var o = 0
        for (y in 0 until size) {
            for (x in 0 until size) {
                val sx = sourceX(inv, x, y)
                val sy = sourceY(inv, x, y)
                for (channel in 0 until 3) {
                    out[o++] = toUint8(sample(image, sx, sy, channel)).toByte()
                }
            }
        }
    }

    fun sourceX(inverse: AffineMatrix, x: Int, y: Int): Double = (inverse.a * x + inverse.b * y) + inverse.c

    fun sourceY(inverse: AffineMatrix, x: Int, y: Int): Double = (inverse.d * x + inverse.e * y) + inverse.f

    /** The bilinear value of [channel] at ([sx], [sy]) before rounding. */
    fun sample(image: RgbFrame, sx: Double, sy: Double, channel: Int): Double {
        val x0f = floor(sx)
        val y0f = floor(sy)
        val fx = sx - x0f
        val fy = sy - y0f
        // Beyond one pixel outside the image every neighbour is a border zero: clip there (as the
        // reference does), which also keeps the integer conversion in range.
        val x0 = clip(x0f, image.width)
        val y0 = clip(y0f, image.height)
        val gx = 1.0 - fx
        val p00 = pixel(image, x0, y0, channel)
        val p10 = pixel(image, x0 + 1, y0, channel)
        val p01 = pixel(image, x0, y0 + 1, channel)
        val p11 = pixel(image, x0 + 1, y0 + 1, channel)
        return (1.0 - fy) * (gx * p00 + fx * p10) + fy * (gx * p01 + fx * p11)
    }

    /** `clamp(floor(v + 0.5), 0, 255)`. */
    fun toUint8(value: Double): Int {
        val rounded = floor(value + 0.5)
        return if (rounded < 0.0) 0 else if (rounded > 255.0) 255 else rounded.toInt()
    }

    private fun clip(value: Double, limit: Int): Int = if (value < -2.0) -2 else if (value > limit) limit else value.toInt()

    private fun pixel(image: RgbFrame, x: Int, y: Int, channel: Int): Double =
        if (x < 0 || y < 0 || x >= image.width || y >= image.height) 0.0 else image.channel(x, y, channel).toDouble()
}
