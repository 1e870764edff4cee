package io.github.edgerep.core.artifact

import org.json.JSONArray
import org.json.JSONException
import org.json.JSONObject

/**
 * What an edgerep artifact says about itself in its `edgerep.*` metadata entries
 * (edgerep/exporters/pipeline/metadata.py `flatten`: scalars as text, nested values as compact JSON): the
 * identity a record carries and the input a harness must build.
 *
 * @property macs multiply-accumulates of one image through the fused graph.
 * @property input the model's input tensor as exported.
 */
data class ArtifactMetadata(
    val model: String,
    val family: String?,
    val task: String?,
    val baseline: Boolean,
    val params: Long?,
    val macs: Long?,
    val precision: String?,
    val input: InputSpec,
) {
    companion object {
        const val PREFIX = "edgerep."

        /**
         * Parses the flat entries of a model file ([entries]: name -> text, e.g. from
         * `TfliteMetadata.read`). Returns null when the file carries no edgerep metadata at all;
         * throws [IllegalArgumentException] naming [source] and the entry when one is malformed.
         */
        fun parse(entries: Map<String, String>, source: String): ArtifactMetadata? {
            if (entries.keys.none { it.startsWith(PREFIX) }) return null
            fun text(key: String): String? = entries[PREFIX + key]?.takeUnless { it == "null" }
            fun fail(key: String, why: String): Nothing =
                throw IllegalArgumentException("$source: metadata entry $PREFIX$key $why")
            fun long(key: String): Long? = text(key)?.let { it.toLongOrNull() ?: fail(key, "is not an integer: '$it'") }
            fun json(key: String): JSONObject? = text(key)?.let {
                try {
                    JSONObject(it)
                } catch (e: JSONException) {
                    fail(key, "is not a JSON object: ${e.message}")
                }
            }

            val model = text("model") ?: fail("model", "is missing: re-export the model with edgerep export")
            val input = json("input") ?: fail("input", "is missing: re-export the model with edgerep export")
            val preprocessing = json("preprocessing")
            val spec = try {
                InputSpec(
                    name = input.optString("name", "input"),
                    shape = ints(input.getJSONArray("shape")),
                    layout = Layout.fromMetadata(input.getString("layout")),
                    kind = InputKind.fromMetadata(input.optString("kind", "tensor")),
                    mean = preprocessing?.let { doubles(it, "mean") },
                    std = preprocessing?.let { doubles(it, "std") },
                )
            } catch (e: JSONException) {
                fail("input", "is malformed: ${e.message}")
            } catch (e: IllegalArgumentException) {
                fail("input", e.message ?: "is malformed")
            }
            val baseline = when (val value = text("baseline")) {
                null, "false" -> false
                "true" -> true
                else -> fail("baseline", "must be true or false, got '$value'")
            }
            return ArtifactMetadata(
                model = model,
                family = text("family"),
                task = text("task"),
                baseline = baseline,
                params = long("params"),
                macs = long("macs"),
                precision = text("precision"),
                input = spec,
            )
        }

        private fun ints(array: JSONArray): List<Int> = List(array.length()) { array.getInt(it) }

        private fun doubles(json: JSONObject, key: String): List<Double>? {
            if (!json.has(key) || json.isNull(key)) return null
            val array = json.getJSONArray(key)
            return List(array.length()) { array.getDouble(it) }
        }
    }
}
