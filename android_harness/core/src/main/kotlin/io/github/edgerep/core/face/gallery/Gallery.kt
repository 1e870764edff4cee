package io.github.edgerep.core.face.gallery

import io.github.edgerep.core.face.match.Embedding
import io.github.edgerep.core.face.match.Match
import io.github.edgerep.core.face.match.Matching

/**
 * Enrolled identities (in enrollment order, which breaks ties) and the threshold that decides a match:
 * the `edgerep.gallery/1` document ([GalleryJson] reads and writes it). Immutable: [enroll],
 * [delete], [rename] and [withThreshold] return a new gallery. Centroids are computed once per
 * gallery, on the first [identify].
 */
data class Gallery(
    val spec: EmbeddingSpec,
    val threshold: Double = Matching.DEFAULT_THRESHOLD,
    val identities: List<Identity> = emptyList(),
) {
    init {
        Matching.checkThreshold(threshold)
        val duplicate = identities.groupBy { it.name }.filterValues { it.size > 1 }.keys
        require(duplicate.isEmpty()) { "identity names must be unique, ${duplicate.joinToString { "'$it'" }} enrolled twice" }
        for (identity in identities) {
            for (e in identity.embeddings) {
                require(e.size == spec.embeddingSize) {
                    "an embedding of '${identity.name}' has ${e.size} values, expected ${spec.embeddingSize} for ${spec.model}"
                }
            }
        }
    }

    val names: List<String> get() = identities.map { it.name }

    private val centroids: List<Embedding> by lazy { identities.map { Matching.centroid(it.embeddings, "'${it.name}'") } }

    fun identify(probe: Embedding): Match = Matching.identify(probe, names, centroids, threshold)

    /**
     * Adds [embeddings] to identity [name] (created when new, else extended), normalized and rounded
     * to float32 as a gallery file stores them; [sources] names the photo or shot of each.
     */
    fun enroll(name: String, embeddings: List<Embedding>, sources: List<String>? = null): Gallery {
        require(name.isNotBlank()) { "identity name must be a non-empty string, got '$name'" }
        require(embeddings.isNotEmpty()) { "no embeddings to enroll for '$name'" }
        val stored = embeddings.map { e ->
            require(e.size == spec.embeddingSize) {
                "embeddings of '$name' have ${e.size} values, expected ${spec.embeddingSize} for ${spec.model}"
            }
            val unit = e.normalized("embeddings of '$name'")
            Embedding.of(DoubleArray(unit.size) { Float32Text.shortest(unit[it]) })
        }
        val existing = identities.firstOrNull { it.name == name }
            ?: return copy(identities = identities + Identity(name, stored, sources))
        require((existing.sources == null) == (sources == null)) {
            "identity '$name': give sources for all of its embeddings or none"
        }
        val grown = Identity(name, existing.embeddings + stored, sources?.let { existing.sources.orEmpty() + it })
        return copy(identities = identities.map { if (it.name == name) grown else it })
    }

    fun delete(name: String): Gallery {
        require(identities.any { it.name == name }) { "no identity '$name' in the gallery (enrolled: ${names.joinToString()})" }
        return copy(identities = identities.filter { it.name != name })
    }

    fun rename(from: String, to: String): Gallery {
        require(identities.any { it.name == from }) { "no identity '$from' in the gallery (enrolled: ${names.joinToString()})" }
        require(to.isNotBlank()) { "the new name must be a non-empty string" }
        require(from == to || identities.none { it.name == to }) { "'$to' is already enrolled; delete it first or pick another name" }
        return copy(identities = identities.map { if (it.name == from) it.copy(name = to) else it })
    }

    fun withThreshold(threshold: Double): Gallery = copy(threshold = threshold)
}
