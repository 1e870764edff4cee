package io.github.edgerep.core.face.image

import java.nio.Buffer
import java.nio.ByteBuffer

/**
 * Android `YUV_420_888` frames to RGB, exactly as edgerep.facecore.frames `yuv420_to_rgb` (golden vectors
 * `yuv`): full-range BT.601 (JFIF; camera frames are full range) in 16-bit fixed point, 32-bit
 * integers. With `d = U - 128`, `e = V - 128`:
 *
 * ```
 * R = clamp((65536*Y + 91881*e + 32768) >> 16)
 * G = clamp((65536*Y - 22554*d - 46802*e + 32768) >> 16)
 * B = clamp((65536*Y + 116130*d + 32768) >> 16)
 * ```
 *
 * (`shr`: arithmetic, so the + 32768 rounds half up; the coefficients are libjpeg's fixed-point
 * ones, 65536 times 1.40200, 0.34414, 0.71414 and 1.77200, rounded). Pixel (x, y) reads
 * `Y[y*yRowStride + x]` and the chroma sample
 * `(y >> 1)*uvRowStride + (x >> 1)*uvPixelStride`.
 *
 * One converter per camera stream: it keeps one scratch array per plane, grown when a larger frame
 * comes and otherwise reused, and writes into the caller's [RgbFrame]; nothing is allocated per pixel
 * or, at a steady frame size, per frame. Not thread-safe.
 */
class Yuv420Converter {
    private var yScratch = ByteArray(0)
    private var uScratch = ByteArray(0)
    private var vScratch = ByteArray(0)

    /**
     * Converts the planes (read from their current positions; the positions are left unchanged) into
     * [out], which must be [Yuv420Layout.width] x [Yuv420Layout.height].
     */
    fun convert(y: ByteBuffer, u: ByteBuffer, v: ByteBuffer, layout: Yuv420Layout, out: RgbFrame) {
        require(out.width == layout.width && out.height == layout.height) {
            "the output frame is ${out.width}x${out.height}, the YUV image ${layout.width}x${layout.height}"
        }
        checkPlane("Y", y.remaining(), layout.yBytes, layout)
        checkPlane("U", u.remaining(), layout.uvBytes, layout)
        checkPlane("V", v.remaining(), layout.uvBytes, layout)
        if (yScratch.size < layout.yBytes) yScratch = ByteArray(layout.yBytes)
        if (uScratch.size < layout.uvBytes) uScratch = ByteArray(layout.uvBytes)
        if (vScratch.size < layout.uvBytes) vScratch = ByteArray(layout.uvBytes)
        copy(y, yScratch, layout.yBytes)
        copy(u, uScratch, layout.uvBytes)
        copy(v, vScratch, layout.uvBytes)
        convert(yScratch, uScratch, vScratch, layout, out)
    }

    /** The same from byte arrays holding the planes from index 0. */
    fun convert(y: ByteArray, u: ByteArray, v: ByteArray, layout: Yuv420Layout, out: RgbFrame) {
        require(out.width == layout.width && out.height == layout.height) {
            "the output frame is ${out.width}x${out.height}, the YUV image ${layout.width}x${layout.height}"
        }
        checkPlane("Y", y.size, layout.yBytes, layout)
        checkPlane("U", u.size, layout.uvBytes, layout)
        checkPlane("V", v.size, layout.uvBytes, layout)
        val rgb = out.pixels
        var o = 0
        for (row in 0 until layout.height) {
            val yRow = row * layout.yRowStride
            val uvRow = (row shr 1) * layout.uvRowStride
            for (col in 0 until layout.width) {
                val luma = (y[yRow + col].toInt() and 0xFF) * 65536 + 32768
                val k = uvRow + (col shr 1) * layout.uvPixelStride
                val d = (u[k].toInt() and 0xFF) - 128
                val e = (v[k].toInt() and 0xFF) - 128
                rgb[o] = clamp((luma + R_V * e) shr 16)
                rgb[o + 1] = clamp((luma - G_U * d - G_V * e) shr 16)
                rgb[o + 2] = clamp((luma + B_U * d) shr 16)
                o += 3
            }
        }
    }

    private fun checkPlane(name: String, size: Int, needed: Int, layout: Yuv420Layout) {
        require(size >= needed) {
            "$name plane holds $size bytes, but ${layout.width}x${layout.height} with these strides needs at least $needed"
        }
    }

    private fun copy(plane: ByteBuffer, into: ByteArray, count: Int) {
        // Through Buffer: ByteBuffer.position(int) returning ByteBuffer exists only on Java 9+, not on
        // older Android releases (NoSuchMethodError there).
        val cursor: Buffer = plane
        val start = cursor.position()
        plane.get(into, 0, count)
        cursor.position(start)
    }

    private fun clamp(value: Int): Byte = (if (value < 0) 0 else if (value > 255) 255 else value).toByte()

    companion object {
        const val R_V = 91881
        const val G_U = 22554
        const val G_V = 46802
        const val B_U = 116130
    }
}
