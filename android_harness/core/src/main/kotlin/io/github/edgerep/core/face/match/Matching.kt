package io.github.edgerep.core.face.match

/**
 * The matching rules of edgerep.facecore.matching (golden vectors `matching` and `gallery`):
 *
 * - an identity's vector is its *centroid*: the normalized sum of its normalized embeddings, summed
 *   in enrollment order (so one threshold means the same for identities with many photos or few);
 * - a probe's score for an identity is the cosine: `dot(normalize(probe), centroid)`;
 * - search is exact over every identity; the highest score wins, equal scores going to the identity
 *   that comes first in the gallery;
 * - a match needs `score > threshold` (strict: InsightFace's protocol calls a pair the same person
 *   when its squared L2 distance is *below* its threshold, and `d = 2 - 2 cos`); otherwise "unknown".
 */
object Matching {
    /** A starting point only (cosine 0.35 = squared L2 1.3); calibrate with `edgerep face eval`. */
    const val DEFAULT_THRESHOLD = 0.35

    /** A cosine threshold: finite, in [-1, 1]. */
    fun checkThreshold(threshold: Double): Double {
        require(threshold.isFinite() && threshold >= -1.0 && threshold <= 1.0) {
            "threshold $threshold is not a cosine in [-1, 1]; a squared-L2 threshold d converts to the cosine 1 - d/2 (e.g. 1.3 -> 0.35)"
        }
        return threshold
    }

    fun samePerson(score: Double, threshold: Double): Boolean = score > threshold

    fun centroid(embeddings: List<Embedding>, name: String = "identity"): Embedding {
        require(embeddings.isNotEmpty()) { "$name has no embeddings" }
        var total = Embedding.zeros(embeddings[0].size)
        for (e in embeddings) total += e.normalized("embeddings of $name")
        return total.normalized("centroid of $name (its embeddings cancel out)")
    }

    /** Cosine of two embeddings (each normalized first). */
    fun cosine(a: Embedding, b: Embedding): Double = a.normalized("embedding a").dot(b.normalized("embedding b"))

    /** Exact search of [probe] against [centroids] (normalized, one per name, in gallery order). */
    fun identify(probe: Embedding, names: List<String>, centroids: List<Embedding>, threshold: Double): Match {
        checkThreshold(threshold)
        require(names.size == centroids.size) { "${names.size} names for ${centroids.size} centroids" }
        if (names.isEmpty()) return Match(null, null, null, threshold, emptyList())
        val p = probe.normalized("probe embedding")
        val expected = centroids[0].size
        require(p.size == expected) {
            "probe embedding has ${p.size} values but the gallery's identities have $expected: was the gallery made with another model?"
        }
        var best = 0
        val scores = ArrayList<Pair<String, Double>>(names.size)
        for (i in names.indices) {
            val score = centroids[i].dot(p)
            scores.add(names[i] to score)
            if (score > scores[best].second) best = i
        }
        val score = scores[best].second
        return Match(if (samePerson(score, threshold)) names[best] else null, names[best], score, threshold, scores)
    }
}
