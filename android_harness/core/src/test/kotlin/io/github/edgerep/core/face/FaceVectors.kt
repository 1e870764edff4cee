package io.github.edgerep.core.face

import io.github.edgerep.core.face.geometry.Landmarks
import io.github.edgerep.core.face.geometry.Point
import io.github.edgerep.core.face.image.RgbFrame
import io.github.edgerep.core.face.match.Embedding
import org.json.JSONArray
import org.json.JSONObject
import org.junit.jupiter.api.Assertions.assertTrue
import kotlin.math.abs
import kotlin.math.max

/** Reading the face sections of the golden vectors into the core's types. */
object FaceVectors {
    fun points(array: JSONArray): List<Point> = List(array.length()) { i ->
        val xy = array.getJSONArray(i)
        Point(xy.getDouble(0), xy.getDouble(1))
    }

    fun landmarks(array: JSONArray): Landmarks = Landmarks(points(array))

    fun doubles(array: JSONArray): DoubleArray = DoubleArray(array.length()) { array.getDouble(it) }

    fun embedding(array: JSONArray): Embedding = Embedding.of(doubles(array))

    fun bytes(array: JSONArray): ByteArray = ByteArray(array.length()) { array.getInt(it).toByte() }

    fun stringOrNull(json: JSONObject, key: String): String? = if (json.isNull(key)) null else json.getString(key)

    /** A case's image: rows of [R, G, B]. */
    fun image(case: JSONObject): RgbFrame {
        val rows = case.getJSONArray("image")
        val frame = RgbFrame.allocate(case.getInt("width"), case.getInt("height"))
        for (y in 0 until frame.height) {
            val row = rows.getJSONArray(y)
            for (x in 0 until frame.width) {
                val px = row.getJSONArray(x)
                for (c in 0 until 3) frame.pixels[(y * frame.width + x) * 3 + c] = px.getInt(c).toByte()
            }
        }
        return frame
    }

    /** Within [tolerance] relative to the larger magnitude (or absolute below 1). */
    fun assertNear(expected: Double, actual: Double, tolerance: Double, what: String) {
        val scale = max(1.0, max(abs(expected), abs(actual)))
        assertTrue(abs(expected - actual) <= tolerance * scale) { "$what: expected $expected, got $actual" }
    }
}
