package io.github.edgerep.core.face.gallery

/**
 * What produced a gallery's embeddings (edgerep.face.gallery `EmbeddingSpec`); a probe must come from
 * the same model file. [runtime] is `torch` or the runtime of an exported artifact (`onnxruntime`,
 * `litert`, `coreml`, or a phone's own name); [artifactSha256] identifies the exported file.
 */
data class EmbeddingSpec(
    val model: String,
    val embeddingSize: Int,
    val runtime: String = "torch",
    val precision: String = "fp32",
    val artifactSha256: String? = null,
    val checkpointSha256: String? = null,
    val templateSize: Int = 112,
    val mean: List<Double> = FACE_MEAN,
    val std: List<Double> = FACE_STD,
    val flipSum: Boolean = false,
) {
    init {
        require(model.isNotBlank()) { "model must be a non-empty name" }
        require(embeddingSize >= 1) { "embedding size must be positive, got $embeddingSize" }
        require(runtime.isNotBlank()) { "runtime must be a non-empty name" }
        require(precision in PRECISIONS) { "precision must be one of ${PRECISIONS.joinToString()}, got '$precision'" }
        for ((name, sha) in listOf("artifact_sha256" to artifactSha256, "checkpoint_sha256" to checkpointSha256)) {
            require(sha == null || SHA256.matches(sha)) { "$name must be 64 lowercase hex digits, got '$sha'" }
        }
        require(mean.size == 3 && std.size == 3 && std.all { it > 0.0 }) { "mean and std need 3 values each (std positive), got $mean and $std" }
    }

    companion object {
        val PRECISIONS: List<String> = listOf("fp32", "fp16", "int8")
        val FACE_MEAN: List<Double> = listOf(0.5, 0.5, 0.5)
        val FACE_STD: List<Double> = listOf(0.5, 0.5, 0.5)
        val SHA256 = Regex("^[0-9a-f]{64}$")
    }
}
