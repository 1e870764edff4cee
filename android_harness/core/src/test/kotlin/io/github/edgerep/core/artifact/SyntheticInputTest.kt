package io.github.edgerep.core.artifact

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

class SyntheticInputTest {
    private val mean = listOf(0.485, 0.456, 0.406)
    private val std = listOf(0.229, 0.224, 0.225)

    private fun spec(layout: Layout, kind: InputKind, shape: List<Int>, normalized: Boolean = true) =
        InputSpec("image", shape, layout, kind, if (normalized) mean else null, if (normalized) std else null)

    @Test
    fun `NHWC tensor input is the normalized pixel, channel fastest`() {
        val s = spec(Layout.NHWC, InputKind.TENSOR, listOf(1, 2, 3, 3))
        val pixels = SyntheticInput.pixels(s)
        val values = SyntheticInput.values(s)
        assertEquals(18, values.size)
        for (i in pixels.indices) {
            val c = i % 3
            assertEquals(((pixels[i] / 255.0 - mean[c]) / std[c]).toFloat(), values[i], "element $i")
        }
    }

    @Test
    fun `NCHW moves each channel into its own plane`() {
        val nhwc = spec(Layout.NHWC, InputKind.RAW, listOf(1, 2, 3, 3))
        val nchw = spec(Layout.NCHW, InputKind.RAW, listOf(1, 3, 2, 3))
        val pixels = SyntheticInput.pixels(nhwc)
        val planar = SyntheticInput.values(nchw)
        // pixel (y=1, x=2, c=1): index ((1*3)+2)*3+1 = 16 in NHWC, (1*2+1)*3+2 = 11 in NCHW
        assertEquals(pixels[16].toFloat(), planar[11])
        assertEquals(pixels.map { it.toFloat() }.sorted(), planar.toList().sorted())
    }

    @Test
    fun `models without mean and std get x over 127_5 minus 1`() {
        val s = spec(Layout.NHWC, InputKind.TENSOR, listOf(1, 4, 4, 3), normalized = false)
        val values = SyntheticInput.values(s)
        val pixels = SyntheticInput.pixels(s)
        assertEquals((pixels[5] / 127.5 - 1.0).toFloat(), values[5])
        assertTrue(values.all { it >= -1f && it <= 1f })
    }

    @Test
    fun `the same seed gives the same input and pixels cover 0 to 255`() {
        val s = spec(Layout.NHWC, InputKind.RAW, listOf(1, 64, 64, 3))
        assertEquals(SyntheticInput.values(s).toList(), SyntheticInput.values(s).toList())
        val pixels = SyntheticInput.pixels(s)
        assertEquals(0, pixels.min())
        assertEquals(255, pixels.max())
    }

    @Test
    fun `input specs that cannot be an image are refused`() {
        assertThrows(IllegalArgumentException::class.java) { spec(Layout.NHWC, InputKind.TENSOR, listOf(1, 224, 224)) }
        assertThrows(IllegalArgumentException::class.java) {
            InputSpec("x", listOf(1, 8, 8, 1), Layout.NHWC, InputKind.TENSOR, mean, std)
        }
        assertThrows(IllegalArgumentException::class.java) {
            InputSpec("x", listOf(1, 8, 8, 3), Layout.NHWC, InputKind.TENSOR, mean, listOf(0.2, 0.0, 0.2))
        }
        assertThrows(IllegalArgumentException::class.java) { Layout.fromMetadata("image") }
        assertThrows(IllegalArgumentException::class.java) { InputKind.fromMetadata("centered") }
    }
}
