package io.github.edgerep.core.face.gallery

/** One problem of a gallery document: where ([path], e.g. `identities[1].embeddings[0]`) and what. */
data class GalleryProblem(val path: String, val message: String) {
    override fun toString(): String = "${path.ifEmpty { "(top level)" }}: $message"
}

/**
 * A gallery document that does not follow `edgerep.gallery/1`, with every problem found; the message
 * is one line naming the [source] and the first few problems, as edgerep's `GalleryError` words it:
 * `invalid gallery g.json: identities[1].embeddings[0]: has 511 numbers, expected embedding_size 512`.
 */
class GalleryException(val source: String, val problems: List<GalleryProblem>) :
    IllegalArgumentException(message(source, problems)) {

    private companion object {
        const val SHOWN = 5

        fun message(source: String, problems: List<GalleryProblem>): String {
            val more = if (problems.size > SHOWN) " (and ${problems.size - SHOWN} more)" else ""
            return "invalid gallery $source: ${problems.take(SHOWN).joinToString("; ")}$more"
        }
    }
}
