package io.github.edgerep.core.face.gallery

import io.github.edgerep.core.face.match.Embedding

/** One enrolled person: their embeddings in enrollment order, and optionally the photo each came from. */
data class Identity(val name: String, val embeddings: List<Embedding>, val sources: List<String>? = null) {
    init {
        require(name.isNotBlank()) { "identity name must be a non-empty string, got '$name'" }
        require(embeddings.isNotEmpty()) { "identity '$name' has no embeddings" }
        require(sources == null || sources.size == embeddings.size) {
            "identity '$name': ${sources?.size} sources for ${embeddings.size} embeddings (give one per embedding, or none)"
        }
    }
}
