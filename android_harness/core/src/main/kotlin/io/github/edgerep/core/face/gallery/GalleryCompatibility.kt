package io.github.edgerep.core.face.gallery

import io.github.edgerep.core.face.model.FaceArtifact

/**
 * Whether a gallery's embeddings can be compared with those of the model loaded on the phone: the
 * same model, embedding size and crop size, and the very same model file (the gallery's
 * `artifact_sha256`). Embeddings from another export (another precision, another checkpoint, torch
 * instead of the `.tflite`) are not comparable with one threshold, so they are refused rather than
 * matched badly.
 */
object GalleryCompatibility {

    /** Why [gallery] cannot be used with [model]; empty when it can. */
    fun problems(gallery: EmbeddingSpec, model: FaceArtifact): List<String> {
        val problems = ArrayList<String>()
        if (gallery.model != model.model) problems.add("model '${gallery.model}' vs '${model.model}'")
        if (gallery.embeddingSize != model.embeddingSize) problems.add("embedding size ${gallery.embeddingSize} vs ${model.embeddingSize}")
        if (gallery.templateSize != model.cropSize) problems.add("crop size ${gallery.templateSize} vs ${model.cropSize}")
        when (val sha = gallery.artifactSha256) {
            null -> problems.add("the gallery was enrolled on ${gallery.runtime} without a model file (artifact_sha256 is null)")
            model.sha256 -> Unit
            else -> problems.add("artifact_sha256 ${sha.take(12)}... vs ${model.sha256.take(12)}... (${model.fileName})")
        }
        return problems
    }

    /** Throws an error naming every difference and the fix, when [problems] finds any. */
    fun check(gallery: EmbeddingSpec, model: FaceArtifact, source: String) {
        val problems = problems(gallery, model)
        require(problems.isEmpty()) {
            "$source was made with another model than ${model.fileName} (${problems.joinToString("; ")}); enroll it with " +
                "'edgerep face enroll DIR --artifact ${model.fileName}' (the same file as on the phone), or enroll on the phone"
        }
    }
}
