package io.github.edgerep.core.face.pipeline

import org.json.JSONArray
import org.json.JSONObject

/**
 * The headless check as JSON (`edgerep.facecheck/1`): identities, scores and per-stage latencies per
 * face, and per stage the median over the run. Times in ms; scores are cosines.
 */
object FaceCheckJson {
    const val SCHEMA = "edgerep.facecheck/1"

    fun encode(check: FaceCheck): String = toJson(check).toString(2) + "\n"

    fun toJson(check: FaceCheck): JSONObject {
        val device = JSONObject()
        check.device.forEach { (k, v) -> device.put(k, v ?: JSONObject.NULL) }
        val m = check.model
        val images = JSONArray()
        check.images.forEach { images.put(image(it)) }
        return JSONObject()
            .put("schema", SCHEMA)
            .put("created", check.created)
            .put("device", device)
            .put(
                "model",
                JSONObject().put("name", m.name).put("file", m.file).put("sha256", m.sha256).put("runtime", m.runtime)
                    .put("runtime_version", m.runtimeVersion ?: JSONObject.NULL).put("delegate", m.delegate).put("threads", m.threads),
            )
            .put(
                "gallery",
                JSONObject().put("source", check.gallery.source).put("threshold", check.gallery.threshold)
                    .put("identities", JSONArray().also { a -> check.gallery.identities.forEach { a.put(it) } }),
            )
            .put("images", images)
            .put("summary", summary(check))
    }

    private fun image(image: FaceCheck.Image): JSONObject {
        val faces = JSONArray()
        for (f in image.faces) {
            val box = f.face.box
            val landmarks = JSONArray()
            f.face.landmarks.points.forEach { landmarks.put(JSONArray().put(it.x).put(it.y)) }
            faces.put(
                JSONObject()
                    .put("box", JSONArray().put(box.left).put(box.top).put(box.right).put(box.bottom))
                    .put("landmarks", landmarks)
                    .put("identity", f.match.identity ?: JSONObject.NULL)
                    .put("best", f.match.best ?: JSONObject.NULL)
                    .put("score", f.match.score ?: JSONObject.NULL)
                    .put("align_ms", f.timings.alignMs)
                    .put("embed_ms", f.timings.embedMs)
                    .put("match_ms", f.timings.matchMs),
            )
        }
        val subject = image.subject
        return JSONObject()
            .put("image", image.name)
            .put("width", image.width)
            .put("height", image.height)
            .put("landmarks", image.landmarks)
            .put("expected", image.expected ?: JSONObject.NULL)
            .put("identity", subject?.match?.identity ?: JSONObject.NULL)
            .put("correct", if (image.expected == null || subject == null) JSONObject.NULL else subject.match.identity == image.expected)
            .put("convert_ms", image.timings.convertMs ?: JSONObject.NULL)
            .put("detect_ms", image.timings.detectMs ?: JSONObject.NULL)
            .put("faces", faces)
    }

    private fun summary(check: FaceCheck): JSONObject {
        val faces = check.images.flatMap { it.faces }
        val judged = check.images.filter { it.expected != null }
        fun median(values: List<Double>): Any = if (values.isEmpty()) JSONObject.NULL else values.sorted().let {
            if (it.size % 2 == 1) it[it.size / 2] else (it[it.size / 2 - 1] + it[it.size / 2]) / 2.0
        }
        return JSONObject()
            .put("images", check.images.size)
            .put("faces", faces.size)
            .put("expected", judged.size)
            .put("correct", judged.count { it.subject?.match?.identity == it.expected })
            .put("median_detect_ms", median(check.images.mapNotNull { it.timings.detectMs }))
            .put("median_align_ms", median(faces.map { it.timings.alignMs }))
            .put("median_embed_ms", median(faces.map { it.timings.embedMs }))
            .put("median_match_ms", median(faces.map { it.timings.matchMs }))
    }
}
