package io.github.edgerep.core.bench

import kotlin.math.floor
import kotlin.math.sqrt

/**
 * The statistics of one record's timed samples, in milliseconds, defined exactly as edgerep's
 * `summarize` (edgerep/bench/stats.py) so that both give the same bits from the same samples:
 *
 * - [meanMs], [lowMs], [highMs]: ModelBench's figures: the mean of the trimmed round means, and the
 *   lowest and highest single latency kept after trimming, over all rounds.
 * - [medianMs], [p90Ms], [p95Ms], [p99Ms], [stdMs], [minMs], [maxMs]: over every timed sample, untrimmed. Percentiles
 *   interpolate linearly between order statistics; std is the population standard deviation.
 * - Sums run left to right in sample order.
 */
data class Summary(
    val medianMs: Double,
    val meanMs: Double,
    val lowMs: Double,
    val highMs: Double,
    val p90Ms: Double,
    val p95Ms: Double,
    val p99Ms: Double,
    val stdMs: Double,
    val minMs: Double,
    val maxMs: Double,
    val iterations: Int,
    val kept: Int,
)

object Statistics {

    /** The [q]-th percentile (0..100), linear between order statistics (numpy's default). */
    fun percentile(values: List<Double>, q: Double): Double {
        require(values.isNotEmpty()) { "percentile of an empty sequence" }
        require(q in 0.0..100.0) { "q must be within 0..100, got $q" }
        val ordered = values.sorted()
        val position = (ordered.size - 1) * q / 100
        val lo = floor(position).toInt()
        val hi = minOf(lo + 1, ordered.size - 1)
        return ordered[lo] + (ordered[hi] - ordered[lo]) * (position - lo)
    }

    /** [values] sorted, without the [trim] smallest and the [trim] largest. */
    fun trimmed(values: List<Double>, trim: Int): List<Double> {
        require(2 * trim < values.size) { "cannot trim $trim from each end of ${values.size} samples" }
        val ordered = values.sorted()
        return ordered.subList(trim, ordered.size - trim)
    }

    /** Statistics of per-round timed samples (ms); see [Summary] for the definitions. */
    fun summarize(rounds: List<List<Double>>, trim: Int): Summary {
        require(rounds.isNotEmpty() && rounds.all { it.isNotEmpty() }) {
            "summarize needs at least one round, each with at least one sample"
        }
        require(rounds.all { round -> round.all { it.isFinite() } }) { "samples must be finite numbers" }
        val roundMeans = ArrayList<Double>(rounds.size)
        val kept = ArrayList<Double>()
        for (samples in rounds) {
            val keep = trimmed(samples, trim)
            roundMeans.add(total(keep) / keep.size)
            kept.addAll(keep)
        }
        val flat = rounds.flatten()
        val meanAll = total(flat) / flat.size
        return Summary(
            medianMs = percentile(flat, 50.0),
            meanMs = total(roundMeans) / roundMeans.size,
            lowMs = kept.min(),
            highMs = kept.max(),
            p90Ms = percentile(flat, 90.0),
            p95Ms = percentile(flat, 95.0),
            p99Ms = percentile(flat, 99.0),
            stdMs = sqrt(total(flat.map { (it - meanAll) * (it - meanAll) }) / flat.size),
            minMs = flat.min(),
            maxMs = flat.max(),
            iterations = flat.size,
            kept = kept.size,
        )
    }

    /** Left-to-right sum: the order edgerep and the Swift core use, so all three agree to the bit. */
    private fun total(values: List<Double>): Double {
        var sum = 0.0
        for (v in values) sum += v
        return sum
    }
}
