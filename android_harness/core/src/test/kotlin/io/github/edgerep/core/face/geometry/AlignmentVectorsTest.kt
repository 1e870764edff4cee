package io.github.edgerep.core.face.geometry

import io.github.edgerep.core.GoldenVectors
import io.github.edgerep.core.face.FaceVectors
import io.github.edgerep.core.face.image.AffineWarp
import org.json.JSONArray
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.DynamicTest
import org.junit.jupiter.api.TestFactory

/**
 * alignment.json: the similarity fit is defined as an exact order of double operations, so the
 * matrices must equal edgerep's bit for bit; the template too.
 */
class AlignmentVectorsTest {
    private val cases = GoldenVectors.cases("alignment")

    @TestFactory
    fun `the fit onto the template equals edgerep's matrix bit for bit`(): List<DynamicTest> =
        cases.filter { !it.has("error") }.map { case ->
            DynamicTest.dynamicTest(case.getString("name")) {
                val size = case.getInt("size")
                assertEquals(FaceVectors.points(case.getJSONArray("template")), ArcFaceTemplate.points(size).points, "template")
                val matrix = SimilarityFit.toTemplate(FaceVectors.landmarks(case.getJSONArray("landmarks")), size)
                assertEquals(rows(case.getJSONArray("matrix")), matrix.rows(), "matrix")
                if (case.has("mapped_landmarks")) {
                    val landmarks = FaceVectors.landmarks(case.getJSONArray("landmarks"))
                    val expected = FaceVectors.points(case.getJSONArray("mapped_landmarks"))
                    for ((i, p) in landmarks.points.withIndex()) {
                        val mapped = matrix.apply(p)
                        FaceVectors.assertNear(expected[i].x, mapped.x, 1e-12, "mapped x $i")
                        FaceVectors.assertNear(expected[i].y, mapped.y, 1e-12, "mapped y $i")
                    }
                }
                if (case.has("inverse")) assertEquals(rows(case.getJSONArray("inverse")), matrix.inverse().rows(), "inverse")
            }
        }

    @TestFactory
    fun `the warp samples, interpolates and rounds as edgerep`(): List<DynamicTest> =
        cases.filter { it.has("pixels") }.map { case ->
            DynamicTest.dynamicTest(case.getString("name")) {
                val size = case.getInt("size")
                val image = FaceVectors.image(case)
                val matrix = SimilarityFit.toTemplate(FaceVectors.landmarks(case.getJSONArray("landmarks")), size)
                val inverse = matrix.inverse()
                val pixels = case.getJSONArray("pixels")
                for (i in 0 until pixels.length()) {
                    val px = pixels.getJSONObject(i)
                    val (x, y) = px.getInt("x") to px.getInt("y")
                    val source = px.getJSONArray("source_xy")
                    val sx = AffineWarp.sourceX(inverse, x, y)
                    val sy = AffineWarp.sourceY(inverse, x, y)
                    assertEquals(source.getDouble(0), sx, "source x of ($x, $y)")
                    assertEquals(source.getDouble(1), sy, "source y of ($x, $y)")
                    val values = px.getJSONArray("value")
                    val bytes = px.getJSONArray("uint8")
                    for (c in 0 until 3) {
                        val value = AffineWarp.sample(image, sx, sy, c)
                        assertEquals(values.getDouble(c), value, "value of ($x, $y) channel $c")
                        assertEquals(bytes.getInt(c), AffineWarp.toUint8(value), "byte of ($x, $y) channel $c")
                    }
                }
                val out = ByteArray(size * size * 3)
                AffineWarp.warp(image, matrix, size, out)
                var sum = 0L
                var weighted = 0L
                for ((i, b) in out.withIndex()) {
                    val v = b.toLong() and 0xFF
                    sum += v
                    weighted += (i + 1) * v
                }
                assertEquals(case.getLong("uint8_sum"), sum, "sum of the crop's bytes")
                assertEquals(case.getLong("uint8_weighted_sum"), weighted, "position-weighted sum of the crop's bytes")
            }
        }

    @TestFactory
    fun `degenerate landmarks and other crop sizes are refused`(): List<DynamicTest> =
        cases.filter { it.has("error") }.map { case ->
            DynamicTest.dynamicTest(case.getString("name")) {
                val thrown = assertThrows(IllegalArgumentException::class.java) {
                    SimilarityFit.toTemplate(FaceVectors.landmarks(case.getJSONArray("landmarks")), case.getInt("size"))
                }
                val expected = when (case.getString("error")) {
                    "size" -> "112 or 128"
                    "degenerate" -> "coincide"
                    else -> error("unknown error kind in alignment.json: ${case.getString("error")}")
                }
                assertTrue(thrown.message!!.contains(expected), thrown.message)
            }
        }

    private fun rows(array: JSONArray): List<List<Double>> = List(array.length()) { i ->
        val row = array.getJSONArray(i)
        List(row.length()) { row.getDouble(it) }
    }
}
