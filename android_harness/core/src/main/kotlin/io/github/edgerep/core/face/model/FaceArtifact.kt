package io.github.edgerep.core.face.model

import io.github.edgerep.core.artifact.ArtifactMetadata
import io.github.edgerep.core.face.gallery.EmbeddingSpec
import io.github.edgerep.core.face.geometry.ArcFaceTemplate
import io.github.edgerep.core.face.image.ModelInput
import org.json.JSONException
import org.json.JSONObject

/**
 * A face-embedding model exported by edgerep (`edgerep export facelivt_s --target tflite`), as its
 * metadata describes it: the input (layout, normalization), the embedding size, the checkpoint it was
 * built from, and the file's sha256 (what a gallery records as `artifact_sha256`).
 */
data class FaceArtifact(val fileName: String, val sha256: String, val metadata: ArtifactMetadata, val embeddingSize: Int, val checkpointSha256: String?) {

    val model: String get() = metadata.model
    val cropSize: Int get() = metadata.input.width

    /** What embeddings made with this file are, for a gallery on [runtime] (e.g. `litert`) with [flipSum]. */
    fun spec(runtime: String, flipSum: Boolean = false): EmbeddingSpec {
        val input = ModelInput(metadata.input)
        return EmbeddingSpec(
            model = model,
            embeddingSize = embeddingSize,
            runtime = runtime,
            precision = metadata.precision?.takeIf { it in EmbeddingSpec.PRECISIONS } ?: "fp32",
            artifactSha256 = sha256,
            checkpointSha256 = checkpointSha256,
            templateSize = input.size,
            mean = metadata.input.mean ?: EmbeddingSpec.FACE_MEAN,
            std = metadata.input.std ?: EmbeddingSpec.FACE_STD,
            flipSum = flipSum,
        )
    }

    companion object {
        /**
         * From a `.tflite`'s metadata [entries] (`TfliteMetadata.read`); [outputSize] is the runtime's
         * output width when the metadata does not give it. Refuses files that are not edgerep face
         * models, naming the fix.
         */
        fun parse(entries: Map<String, String>, fileName: String, sha256: String, outputSize: Int? = null): FaceArtifact {
            val metadata = ArtifactMetadata.parse(entries, fileName)
                ?: throw IllegalArgumentException(
                    "$fileName carries no edgerep metadata; export the model with 'edgerep export facelivt_s --target tflite'",
                )
            require(metadata.task == "face-embedding") {
                "$fileName holds ${metadata.model}, a ${metadata.task} model, not a face-embedding one; export facelivt_s or edgeface_xs_gamma_06"
            }
            val input = ModelInput(metadata.input)
            require(input.size in ArcFaceTemplate.SIZES) {
                "$fileName takes ${input.size}x${input.size} crops; the ArcFace alignment makes 112 or 128"
            }
            val declared = entries[ArtifactMetadata.PREFIX + "output"]?.let { text ->
                try {
                    val shape = JSONObject(text).getJSONArray("shape")
                    shape.getInt(shape.length() - 1)
                } catch (e: JSONException) {
                    throw IllegalArgumentException("$fileName: metadata entry edgerep.output is malformed: ${e.message}")
                }
            }
            val size = declared ?: outputSize
                ?: throw IllegalArgumentException("$fileName: the embedding size is unknown (no edgerep.output metadata)")
            require(outputSize == null || outputSize == size) {
                "$fileName: its metadata says $size-d embeddings but the model outputs $outputSize values"
            }
            require(Regex("^[0-9a-f]{64}$").matches(sha256)) { "sha256 must be 64 lowercase hex digits, got '$sha256'" }
            val checkpoint = entries[ArtifactMetadata.PREFIX + "checkpoint_sha256"]?.takeUnless { it == "null" || it.isEmpty() }
            return FaceArtifact(fileName, sha256, metadata, size, checkpoint)
        }
    }
}
