package io.github.edgerep.core.face.gallery

import io.github.edgerep.core.face.geometry.ArcFaceTemplate
import org.json.JSONArray
import org.json.JSONObject
import java.math.BigInteger
import kotlin.math.abs

/**
 * The rules of `edgerep.gallery/1` (edgerep/face/gallery.schema.json), checked by hand on an org.json
 * document as edgerep.face.gallery `validate` checks them, collecting every problem with its path.
 * Values are judged by their JSON type, never coerced (org.json's getters would read the string
 * "0.35" as a number): numbers must be finite, integers integral.
 */
internal class GalleryValidator {
    private val problems = ArrayList<GalleryProblem>()

    fun validate(doc: JSONObject): List<GalleryProblem> {
        val schema = doc.opt("schema")
        if (schema != GalleryJson.SCHEMA) {
            val message = when {
                schema is String && schema.startsWith("edgerep.gallery/") ->
                    "'$schema' is not supported here (supports ${GalleryJson.SCHEMA}); update the app to read it"
                schema == null -> "required field is missing: not an edgerep gallery (expected '${GalleryJson.SCHEMA}')"
                else -> "expected '${GalleryJson.SCHEMA}', got ${describe(schema)}"
            }
            return listOf(GalleryProblem("schema", message))
        }
        fields(doc, "", TOP_LEVEL)
        string(doc.opt("model"), "model")
        string(doc.opt("runtime"), "runtime")
        oneOf(doc.opt("precision"), "precision", EmbeddingSpec.PRECISIONS)
        for (key in listOf("artifact_sha256", "checkpoint_sha256")) {
            val value = doc.opt(key)
            if (!isNull(value) && !(value is String && EmbeddingSpec.SHA256.matches(value))) {
                fail(key, "expected null or 64 lowercase hex digits, got ${describe(value)}")
            }
        }
        val size = integer(doc.opt("embedding_size"))?.takeIf { it in 1..Int.MAX_VALUE }?.toInt()
        if (size == null) fail("embedding_size", "expected a positive integer, got ${describe(doc.opt("embedding_size"))}")
        template(doc.opt("template"))
        normalization(doc.opt("normalization"))
        matching(doc.opt("matching"))
        identities(doc.opt("identities"), size)
        return problems
    }

    private fun template(value: Any?) {
        if (!fields(value, "template", listOf("size", "points"))) return
        val tpl = value as JSONObject
        val size = integer(tpl.opt("size"))?.toInt()
        if (size == null || size !in ArcFaceTemplate.SIZES) {
            fail("template.size", "expected 112 or 128, got ${describe(tpl.opt("size"))}")
            return
        }
        val points = tpl.opt("points")
        if (points !is JSONArray || points.length() != 5) {
            fail("template.points", "expected 5 (x, y) points, got ${describe(points)}")
            return
        }
        val numbers = (0 until 5).map { numbers(points.opt(it), "template.points[$it]", 2) }
        if (numbers.any { it == null }) return
        val expected = ArcFaceTemplate.points(size).points
        val close = numbers.withIndex().all { (i, xy) ->
            abs(xy!![0] - expected[i].x) <= 1e-9 && abs(xy[1] - expected[i].y) <= 1e-9
        }
        if (!close) {
            fail("template.points", "differ from the ArcFace template for size $size (${expected.map { listOf(it.x, it.y) }}), the only one edgerep aligns to")
        }
    }

    private fun normalization(value: Any?) {
        if (!fields(value, "normalization", listOf("color", "scale", "mean", "std", "flip_sum"))) return
        val norm = value as JSONObject
        oneOf(norm.opt("color"), "normalization.color", listOf("RGB"))
        oneOf(norm.opt("scale"), "normalization.scale", listOf("x / 255"))
        numbers(norm.opt("mean"), "normalization.mean", 3)
        val std = numbers(norm.opt("std"), "normalization.std", 3)
        if (std != null && std.any { it <= 0.0 }) fail("normalization.std", "must be positive, got $std")
        if (norm.opt("flip_sum") !is Boolean) fail("normalization.flip_sum", "expected true or false, got ${describe(norm.opt("flip_sum"))}")
    }

    private fun matching(value: Any?) {
        if (!fields(value, "matching", listOf("metric", "identity_score", "threshold"))) return
        val m = value as JSONObject
        oneOf(m.opt("metric"), "matching.metric", listOf("cosine"))
        oneOf(m.opt("identity_score"), "matching.identity_score", listOf("centroid"))
        val t = number(m.opt("threshold"))
        if (t == null || t < -1.0 || t > 1.0) fail("matching.threshold", "expected a cosine in [-1, 1], got ${describe(m.opt("threshold"))}")
    }

    private fun identities(value: Any?, size: Int?) {
        if (value !is JSONArray) {
            fail("identities", "expected an array, got ${describe(value)}")
            return
        }
        val seen = HashSet<String>()
        for (i in 0 until value.length()) {
            val path = "identities[$i]"
            val identity = value.opt(i)
            if (!fields(identity, path, listOf("name", "embeddings"), optional = listOf("sources"))) continue
            val entry = identity as JSONObject
            val name = entry.opt("name")
            if (string(name, "$path.name") && !seen.add(name as String)) {
                fail("$path.name", "'$name' is enrolled twice (names must be unique)")
            }
            val embeddings = entry.opt("embeddings")
            if (embeddings !is JSONArray || embeddings.length() == 0) {
                fail("$path.embeddings", "expected a non-empty array of embeddings, got ${describe(embeddings)}")
                continue
            }
            for (j in 0 until embeddings.length()) {
                val epath = "$path.embeddings[$j]"
                val values = if (size != null) numbers(embeddings.opt(j), epath, size, "embedding_size $size") else null
                if (values != null) {
                    val squares = values.fold(0.0) { acc, v -> acc + v * v }
                    if (!(squares > 0.0 && squares.isFinite())) fail(epath, "its norm is zero or overflows (an embedding must be normalizable)")
                }
            }
            val sources = entry.opt("sources")
            if (!isNull(sources)) {
                val ok = sources is JSONArray && sources.length() == embeddings.length() &&
                    (0 until sources.length()).all { sources.opt(it) is String }
                if (!ok) fail("$path.sources", "expected ${embeddings.length()} strings (one per embedding), got ${describe(sources)}")
            }
        }
    }

    // ---- checks that record a problem and say whether the value passed ----------------------------

    private fun fail(path: String, message: String): Boolean {
        problems.add(GalleryProblem(path, message))
        return false
    }

    /** An object with every [required] field and no field outside [required] and [optional]. */
    private fun fields(value: Any?, path: String, required: List<String>, optional: List<String> = emptyList()): Boolean {
        if (value !is JSONObject) return fail(path, "expected an object, got ${describe(value)}")
        var ok = true
        for (key in required) if (!value.has(key)) ok = fail(join(path, key), "required field is missing")
        for (key in value.keys().asSequence().toList()) {
            if (key !in required && key !in optional) {
                val close = closest(key, required + optional)
                ok = fail(join(path, key), "unknown field" + (close?.let { " (did you mean '$it'?)" } ?: ""))
            }
        }
        return ok
    }

    private fun string(value: Any?, path: String): Boolean =
        if (value is String && value.isNotEmpty()) true else fail(path, "expected a non-empty string, got ${describe(value)}")

    private fun oneOf(value: Any?, path: String, allowed: List<String>): Boolean =
        if (value is String && value in allowed) true
        else fail(path, "expected ${allowed.joinToString(" or ") { "\"$it\"" }}, got ${describe(value)}")

    /** An array of [length] finite numbers as doubles, or null (a problem recorded). */
    private fun numbers(value: Any?, path: String, length: Int, what: String = length.toString()): DoubleArray? {
        if (value !is JSONArray) {
            fail(path, "expected an array of $length numbers, got ${describe(value)}")
            return null
        }
        if (value.length() != length) {
            fail(path, "has ${value.length()} numbers, expected $what")
            return null
        }
        val out = DoubleArray(length)
        for (i in 0 until length) {
            val v = number(value.opt(i))
            if (v == null) {
                fail("$path[$i]", "expected a finite number, got ${describe(value.opt(i))}")
                return null
            }
            out[i] = v
        }
        return out
    }

    private fun join(path: String, key: String): String = if (path.isEmpty()) key else "$path.$key"

    /** The field name closest to [key] (edit distance at most 40% of the longer), for "did you mean". */
    private fun closest(key: String, names: List<String>): String? = names
        .map { it to editDistance(key, it) }
        .filter { (name, distance) -> distance <= 0.4 * maxOf(key.length, name.length) }
        .minByOrNull { it.second }?.first

    private fun editDistance(a: String, b: String): Int {
        var previous = IntArray(b.length + 1) { it }
        for (i in 1..a.length) {
            val current = IntArray(b.length + 1)
            current[0] = i
            for (j in 1..b.length) {
                val substitution = previous[j - 1] + if (a[i - 1] == b[j - 1]) 0 else 1
                current[j] = minOf(previous[j] + 1, current[j - 1] + 1, substitution)
            }
            previous = current
        }
        return previous[b.length]
    }

    companion object {
        private val TOP_LEVEL = listOf(
            "schema", "model", "runtime", "precision", "artifact_sha256", "checkpoint_sha256", "embedding_size",
            "template", "normalization", "matching", "identities",
        )

        fun isNull(value: Any?): Boolean = value == null || value == JSONObject.NULL

        /** A finite JSON number as a double (Android's org.json gives Integer/Long/Double, others BigDecimal), else null. */
        fun number(value: Any?): Double? = if (value is Number) value.toDouble().takeIf { it.isFinite() } else null

        /** A JSON integer (no fraction written), else null. */
        fun integer(value: Any?): Long? = when (value) {
            is Int -> value.toLong()
            is Long -> value
            is BigInteger -> if (value.bitLength() < 63) value.toLong() else null
            else -> null
        }

        fun describe(value: Any?): String = when {
            isNull(value) -> "null"
            value is String -> "a string \"${value.take(40)}\""
            value is Boolean -> "a boolean $value"
            value is Number -> "the number $value"
            value is JSONArray -> "an array"
            value is JSONObject -> "an object"
            else -> value.toString().take(40)
        }
    }
}
