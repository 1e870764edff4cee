package io.github.edgerep.core.face.detect

import io.github.edgerep.core.face.geometry.Box
import io.github.edgerep.core.face.geometry.Landmarks
import io.github.edgerep.core.face.geometry.Point
import org.json.JSONArray
import org.json.JSONException
import org.json.JSONObject
import org.json.JSONTokener

/**
 * Faces given as JSON, in the forms edgerep reads with `--landmarks-json` (edgerep.facecore.detect
 * `faces_from_json`): `edgerep face detect --json` output (`{"faces": [...]}`), one face object
 * (`{"landmarks": [[x, y] x 5], "box": [x1, y1, x2, y2], "score": s}`, box and score optional), a list
 * of face objects, or a bare list of 5 points. Landmarks are in template order, pixel-centre
 * coordinates of the image; a face without a box gets the landmarks' bounding box.
 */
object FacesJson {

    fun parse(text: String, source: String): List<DetectedFace> {
        val doc = try {
            JSONTokener(text).nextValue()
        } catch (e: JSONException) {
            throw IllegalArgumentException("$source: not valid JSON (${e.message})")
        }
        val faces: List<Any?> = when {
            doc is JSONObject && doc.has("faces") -> list(doc.opt("faces"), source)
            doc is JSONObject -> listOf(doc)
            doc is JSONArray && isPoints(doc) -> listOf(JSONObject().put("landmarks", doc))
            doc is JSONArray -> list(doc, source)
            else -> throw shape(source)
        }
        return faces.mapIndexed { i, face ->
            if (face !is JSONObject || !face.has("landmarks")) throw shape(source)
            val landmarks = landmarks(face.opt("landmarks"), "$source: face $i")
            val box = face.opt("box").takeUnless { it == null || it == JSONObject.NULL }?.let { box(it, "$source: face $i") }
                ?: Box(landmarks.points.minOf { it.x }, landmarks.points.minOf { it.y }, landmarks.points.maxOf { it.x }, landmarks.points.maxOf { it.y })
            val score = (face.opt("score") as? Number)?.toDouble() ?: 1.0
            DetectedFace(box, landmarks, score)
        }
    }

    private fun list(value: Any?, source: String): List<Any?> =
        if (value is JSONArray) List(value.length()) { value.opt(it) } else throw shape(source)

    private fun isPoints(array: JSONArray): Boolean =
        (array.length() == 5 || array.length() == 10) && (0 until array.length()).none { array.opt(it) is JSONObject }

    private fun landmarks(value: Any?, where: String): Landmarks {
        fun fail(): Nothing = throw IllegalArgumentException(
            "$where: landmarks must be 5 finite (x, y) points in template order (eye on the image's left first), got $value",
        )
        if (value !is JSONArray) fail()
        val numbers = when (value.length()) {
            // [[x1, y1], ..., [x5, y5]]
            5 -> (0 until 5).flatMap { i ->
                val point = value.opt(i) as? JSONArray ?: fail()
                if (point.length() != 2) fail()
                listOf(number(point.opt(0), where), number(point.opt(1), where))
            }
            // [x1, y1, ..., x5, y5]
            10 -> (0 until 10).map { number(value.opt(it), where) }
            else -> fail()
        }
        return Landmarks(List(5) { Point(numbers[2 * it], numbers[2 * it + 1]) })
    }

    private fun box(value: Any, where: String): Box {
        require(value is JSONArray && value.length() == 4) { "$where: box must be [x1, y1, x2, y2], got $value" }
        return Box.spanning(Point(number(value.opt(0), where), number(value.opt(1), where)), Point(number(value.opt(2), where), number(value.opt(3), where)))
    }

    private fun number(value: Any?, where: String): Double {
        val v = (value as? Number)?.toDouble()
        require(v != null && v.isFinite()) { "$where: expected a finite number, got $value" }
        return v
    }

    private fun shape(source: String) =
        IllegalArgumentException("$source: expected {\"faces\": [{\"landmarks\": [[x, y] x 5]}]}, a face object or 5 points")
}
