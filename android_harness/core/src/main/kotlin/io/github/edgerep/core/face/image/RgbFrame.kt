package io.github.edgerep.core.face.image

/**
 * An RGB image of [width] x [height] in a caller-owned buffer: 3 bytes per pixel (R, G, B, 0..255
 * unsigned), rows top to bottom with no padding. The camera path fills one buffer per frame size and
 * reuses it, so the contents change from frame to frame: read it on the thread that filled it.
 */
class RgbFrame(val width: Int, val height: Int, val pixels: ByteArray) {
    init {
        require(width >= 1 && height >= 1) { "frame size must be positive, got ${width}x$height" }
        require(pixels.size >= width * height * 3) {
            "an RGB frame of ${width}x$height needs ${width * height * 3} bytes, the buffer has ${pixels.size}"
        }
    }

    /** Channel [channel] (0 R, 1 G, 2 B) of pixel ([x], [y]), which must lie in the image. */
    fun channel(x: Int, y: Int, channel: Int): Int = pixels[(y * width + x) * 3 + channel].toInt() and 0xFF

    companion object {
        /** A frame with a new buffer (for still images and tests; the camera path reuses one). */
        fun allocate(width: Int, height: Int): RgbFrame = RgbFrame(width, height, ByteArray(width * height * 3))

        /** A still image from packed `0xAARRGGBB` pixels (Android's `Bitmap.getPixels`), alpha ignored. */
        fun fromArgb(width: Int, height: Int, argb: IntArray): RgbFrame {
            require(argb.size >= width * height) { "${width}x$height needs ${width * height} pixels, got ${argb.size}" }
            val frame = allocate(width, height)
            for (i in 0 until width * height) {
                val c = argb[i]
                frame.pixels[3 * i] = (c shr 16).toByte()
                frame.pixels[3 * i + 1] = (c shr 8).toByte()
                frame.pixels[3 * i + 2] = c.toByte()
            }
            return frame
        }
    }
}
