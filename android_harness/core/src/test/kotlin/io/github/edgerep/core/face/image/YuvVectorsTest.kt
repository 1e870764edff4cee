package io.github.edgerep.core.face.image

import io.github.edgerep.core.GoldenVectors
import io.github.edgerep.core.face.FaceVectors
import org.json.JSONObject
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.DynamicTest
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestFactory
import java.nio.ByteBuffer

/** yuv.json: every byte equal to edgerep's (integer fixed point, so exactly). */
class YuvVectorsTest {
    private val cases = GoldenVectors.cases("yuv")

    private fun layout(case: JSONObject) = Yuv420Layout(
        case.getInt("width"), case.getInt("height"), case.getInt("y_row_stride"), case.getInt("uv_row_stride"), case.getInt("uv_pixel_stride"),
    )

    private fun expected(case: JSONObject): ByteArray {
        val rows = case.getJSONArray("rgb")
        val out = ArrayList<Byte>()
        for (y in 0 until rows.length()) {
            val row = rows.getJSONArray(y)
            for (x in 0 until row.length()) for (c in 0 until 3) out.add(row.getJSONArray(x).getInt(c).toByte())
        }
        return out.toByteArray()
    }

    @TestFactory
    fun `planes with strides convert to edgerep's RGB bytes`(): List<DynamicTest> =
        cases.filter { !it.has("error") }.map { case ->
            DynamicTest.dynamicTest(case.getString("name")) {
                val layout = layout(case)
                val converter = Yuv420Converter()
                val y = FaceVectors.bytes(case.getJSONArray("y"))
                val u = FaceVectors.bytes(case.getJSONArray("u"))
                val v = FaceVectors.bytes(case.getJSONArray("v"))
                val fromArrays = RgbFrame.allocate(layout.width, layout.height)
                converter.convert(y, u, v, layout, fromArrays)
                assertArrayEquals(expected(case), fromArrays.pixels)

                // As CameraX hands them over: direct buffers, here starting one byte into each.
                val planes = listOf(y, u, v).map { bytes ->
                    ByteBuffer.allocateDirect(bytes.size + 1).also { b -> b.put(7); b.put(bytes); b.position(1) }
                }
                val fromBuffers = RgbFrame.allocate(layout.width, layout.height)
                converter.convert(planes[0], planes[1], planes[2], layout, fromBuffers)
                assertArrayEquals(expected(case), fromBuffers.pixels)
                assertEquals(listOf(1, 1, 1), planes.map { it.position() }, "plane positions are left as they were")
            }
        }

    @TestFactory
    fun `short planes and impossible strides are refused`(): List<DynamicTest> =
        cases.filter { it.has("error") }.map { case ->
            DynamicTest.dynamicTest(case.getString("name")) {
                val thrown = assertThrows(IllegalArgumentException::class.java) {
                    val layout = layout(case)
                    Yuv420Converter().convert(
                        FaceVectors.bytes(case.getJSONArray("y")), FaceVectors.bytes(case.getJSONArray("u")),
                        FaceVectors.bytes(case.getJSONArray("v")), layout, RgbFrame.allocate(layout.width, layout.height),
                    )
                }
                val expected = if (case.getString("error") == "plane") "plane holds" else "stride"
                assertTrue(thrown.message!!.contains(expected), thrown.message)
            }
        }

    @Test
    fun `one converter serves frames of different sizes`() {
        val converter = Yuv420Converter()
        for (case in cases.filter { !it.has("error") }.reversed()) {
            val layout = layout(case)
            val out = RgbFrame.allocate(layout.width, layout.height)
            converter.convert(
                ByteBuffer.wrap(FaceVectors.bytes(case.getJSONArray("y"))), ByteBuffer.wrap(FaceVectors.bytes(case.getJSONArray("u"))),
                ByteBuffer.wrap(FaceVectors.bytes(case.getJSONArray("v"))), layout, out,
            )
            assertArrayEquals(expected(case), out.pixels, case.getString("name"))
        }
    }

    @Test
    fun `the fixed-point coefficients are libjpeg's`() {
        // A coefficient off by one changes few bytes (only where e or d tips a rounding), so the
        // golden bytes alone may not catch it: check the constants themselves. They are libjpeg's
        // FIX(1.40200), FIX(0.34414), FIX(0.71414), FIX(1.77200) (jdcolor.c); 65536 x 0.344136 (the
        // JFIF value the vectors' description names) would round to 22553, not the 22554 they use.
        val expected = listOf(1.40200, 0.34414, 0.71414, 1.77200).map { Math.round(65536 * it).toInt() }
        assertEquals(listOf(91881, 22554, 46802, 116130), expected)
        assertEquals(expected, listOf(Yuv420Converter.R_V, Yuv420Converter.G_U, Yuv420Converter.G_V, Yuv420Converter.B_U))
    }
}
