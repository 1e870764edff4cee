package io.github.edgerep.core.face.match

/**
 * The result of identifying one probe (edgerep.facecore.matching `Match`): [identity] is the matched
 * name or null ("unknown"); [best] and [score] the best-scoring identity and its score even when it
 * is at or below [threshold] (null only for an empty gallery); [scores] every identity's score in
 * gallery order.
 */
data class Match(
    val identity: String?,
    val best: String?,
    val score: Double?,
    val threshold: Double,
    val scores: List<Pair<String, Double>>,
) {
    val known: Boolean get() = identity != null
}
