package io.github.edgerep.core.face.image

import io.github.edgerep.core.artifact.InputKind
import io.github.edgerep.core.artifact.InputSpec
import io.github.edgerep.core.artifact.Layout
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Test
import java.nio.FloatBuffer

/** The crop as the model takes it: edgerep's float32 `(x / 255 - mean) / std`, in the artifact's layout. */
class ModelInputTest {
    private val size = 112

    /** Pixel (x, y) channel c of the test crop: a pattern where every position is distinguishable. */
    private fun value(x: Int, y: Int, c: Int): Int = (x * 3 + y * 5 + c * 101) % 256

    private val crop = ByteArray(size * size * 3).also { b ->
        for (y in 0 until size) for (x in 0 until size) for (c in 0 until 3) b[(y * size + x) * 3 + c] = value(x, y, c).toByte()
    }

    private fun spec(layout: Layout, kind: InputKind, mean: List<Double>? = null, std: List<Double>? = null) = InputSpec(
        "face", if (layout == Layout.NHWC) listOf(1, size, size, 3) else listOf(1, 3, size, size), layout, kind, mean, std,
    )

    private fun written(spec: InputSpec, mirror: Boolean = false): FloatBuffer =
        FloatBuffer.allocate(spec.elements).also { ModelInput(spec).write(crop, it, mirror) }

    @Test
    fun `normalized NCHW with FaceLiVT's mean and std, in float32 arithmetic`() {
        val out = written(spec(Layout.NCHW, InputKind.TENSOR, listOf(0.5, 0.5, 0.5), listOf(0.5, 0.5, 0.5)))
        val (x, y, c) = Triple(17, 9, 2)
        assertEquals((value(x, y, c).toFloat() / 255f - 0.5f) / 0.5f, out.get(c * size * size + y * size + x))
        assertEquals(-1f, ((0f / 255f) - 0.5f) / 0.5f, "the arithmetic maps 0 to -1")
    }

    @Test
    fun `NHWC, per-channel mean and std, and the default of one half when the metadata has none`() {
        val imagenet = written(spec(Layout.NHWC, InputKind.TENSOR, listOf(0.485, 0.456, 0.406), listOf(0.229, 0.224, 0.225)))
        assertEquals((value(3, 4, 1).toFloat() / 255f - 0.456f) / 0.224f, imagenet.get((4 * size + 3) * 3 + 1))
        val default = written(spec(Layout.NHWC, InputKind.TENSOR))
        assertEquals((value(3, 4, 0).toFloat() / 255f - 0.5f) / 0.5f, default.get((4 * size + 3) * 3))
    }

    @Test
    fun `raw inputs take the pixels, and the mirror reads the crop flipped`() {
        val raw = written(spec(Layout.NHWC, InputKind.RAW))
        assertEquals(value(5, 6, 2).toFloat(), raw.get((6 * size + 5) * 3 + 2))
        val mirrored = written(spec(Layout.NHWC, InputKind.RAW), mirror = true)
        assertEquals(value(size - 1 - 5, 6, 2).toFloat(), mirrored.get((6 * size + 5) * 3 + 2))
    }

    @Test
    fun `a model that does not take one square RGB crop is refused`() {
        assertThrows(IllegalArgumentException::class.java) { ModelInput(InputSpec("x", listOf(2, 3, size, size), Layout.NCHW, InputKind.RAW, null, null)) }
        assertThrows(IllegalArgumentException::class.java) { ModelInput(InputSpec("x", listOf(1, size, 96, 3), Layout.NHWC, InputKind.RAW, null, null)) }
    }
}
