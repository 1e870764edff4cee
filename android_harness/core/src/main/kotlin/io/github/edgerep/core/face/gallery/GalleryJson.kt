package io.github.edgerep.core.face.gallery

import io.github.edgerep.core.face.geometry.ArcFaceTemplate
import io.github.edgerep.core.face.match.Embedding
import org.json.JSONArray
import org.json.JSONException
import org.json.JSONObject
import org.json.JSONTokener

/**
 * The gallery file `edgerep.gallery/1` (edgerep/face/gallery.schema.json), read and written with
 * org.json (built into Android). [parse] refuses any document edgerep's `Gallery.load` refuses,
 * naming the field; [encode] writes what edgerep reads back: the same fields, embeddings with float32
 * precision, the ArcFace template of the spec's size, the matching rule and threshold.
 */
object GalleryJson {
    const val SCHEMA = "edgerep.gallery/1"

    /** The gallery in [text]; [source] names it in errors (a file name). Throws [GalleryException]. */
    fun parse(text: String, source: String): Gallery {
        val doc = try {
            val tokener = JSONTokener(text)
            val value = tokener.nextValue()
            if (tokener.nextClean() != END) throw JSONException("text after the end of the JSON value")
            value
        } catch (e: JSONException) {
            throw GalleryException(source, listOf(GalleryProblem("", "not valid JSON: ${e.message}")))
        }
        if (doc !is JSONObject) {
            throw GalleryException(source, listOf(GalleryProblem("", "expected a JSON object (a gallery), got ${GalleryValidator.describe(doc)}")))
        }
        val problems = GalleryValidator().validate(doc)
        if (problems.isNotEmpty()) throw GalleryException(source, problems)
        return read(doc, source)
    }

    /** The document as text (indented by one space, as edgerep writes it, and a final newline). */
    fun encode(gallery: Gallery): String = toJson(gallery).toString(1) + "\n"

    fun toJson(gallery: Gallery): JSONObject {
        val spec = gallery.spec
        val template = JSONArray()
        for (p in ArcFaceTemplate.points(spec.templateSize).points) template.put(JSONArray().put(p.x).put(p.y))
        val identities = JSONArray()
        for (identity in gallery.identities) {
            val entry = JSONObject().put("name", identity.name)
            val embeddings = JSONArray()
            for (e in identity.embeddings) {
                val values = JSONArray()
                for (i in 0 until e.size) values.put(e[i])
                embeddings.put(values)
            }
            entry.put("embeddings", embeddings)
            identity.sources?.let { sources -> entry.put("sources", JSONArray().also { a -> sources.forEach { a.put(it) } }) }
            identities.put(entry)
        }
        return JSONObject()
            .put("schema", SCHEMA)
            .put("model", spec.model)
            .put("runtime", spec.runtime)
            .put("precision", spec.precision)
            .put("artifact_sha256", spec.artifactSha256 ?: JSONObject.NULL)
            .put("checkpoint_sha256", spec.checkpointSha256 ?: JSONObject.NULL)
            .put("embedding_size", spec.embeddingSize)
            .put("template", JSONObject().put("size", spec.templateSize).put("points", template))
            .put(
                "normalization",
                JSONObject().put("color", "RGB").put("scale", "x / 255").put("mean", doubles(spec.mean))
                    .put("std", doubles(spec.std)).put("flip_sum", spec.flipSum),
            )
            .put("matching", JSONObject().put("metric", "cosine").put("identity_score", "centroid").put("threshold", gallery.threshold))
            .put("identities", identities)
    }

    /** A validated document as a [Gallery] (numbers read as doubles, as edgerep reads them). */
    private fun read(doc: JSONObject, source: String): Gallery {
        fun nullableString(key: String): String? = doc.opt(key).takeUnless { GalleryValidator.isNull(it) } as String?
        fun numbers(array: JSONArray): List<Double> = List(array.length()) { GalleryValidator.number(array.opt(it))!! }
        val norm = doc.getJSONObject("normalization")
        val spec = EmbeddingSpec(
            model = doc.getString("model"),
            embeddingSize = GalleryValidator.integer(doc.opt("embedding_size"))!!.toInt(),
            runtime = doc.getString("runtime"),
            precision = doc.getString("precision"),
            artifactSha256 = nullableString("artifact_sha256"),
            checkpointSha256 = nullableString("checkpoint_sha256"),
            templateSize = GalleryValidator.integer(doc.getJSONObject("template").opt("size"))!!.toInt(),
            mean = numbers(norm.getJSONArray("mean")),
            std = numbers(norm.getJSONArray("std")),
            flipSum = norm.opt("flip_sum") as Boolean,
        )
        val array = doc.getJSONArray("identities")
        val identities = List(array.length()) { i ->
            val entry = array.getJSONObject(i)
            val embeddings = entry.getJSONArray("embeddings")
            val sources = entry.opt("sources").takeUnless { GalleryValidator.isNull(it) } as JSONArray?
            Identity(
                name = entry.getString("name"),
                embeddings = List(embeddings.length()) { j -> Embedding.of(numbers(embeddings.getJSONArray(j)), "$source identities[$i].embeddings[$j]") },
                sources = sources?.let { s -> List(s.length()) { s.getString(it) } },
            )
        }
        val threshold = GalleryValidator.number(doc.getJSONObject("matching").opt("threshold"))!!
        return Gallery(spec, threshold, identities)
    }

    private fun doubles(values: List<Double>): JSONArray = JSONArray().also { a -> values.forEach { a.put(it) } }

    private const val END = '\u0000'
}
