package io.github.edgerep.core.report

import io.github.edgerep.core.bench.Summary

/**
 * One model on one runtime, delegate, precision and thread count: a record of an `edgerep.bench/2`
 * report (edgerep/bench/report.schema.json), times in ms. Field names follow the schema; [toJson]
 * writes them as edgerep does.
 */
data class BenchRecord(
    val model: String,
    val form: String = "fused",
    val runtime: String,
    val precision: String,
    val status: Status = Status.OK,
    val reason: String? = null,
    val family: String? = null,
    val task: String? = null,
    val baseline: Boolean = false,
    val runtimeVersion: String? = null,
    val backend: String? = null,
    val threads: Int? = null,
    val batch: Int = 1,
    val inputShape: List<Int>? = null,
    val loadMs: Double? = null,
    val firstMs: Double? = null,
    val medianMs: Double? = null,
    val meanMs: Double? = null,
    val lowMs: Double? = null,
    val highMs: Double? = null,
    val p90Ms: Double? = null,
    val p95Ms: Double? = null,
    val p99Ms: Double? = null,
    val stdMs: Double? = null,
    val minMs: Double? = null,
    val maxMs: Double? = null,
    val iterations: Int? = null,
    val kept: Int? = null,
    val peakMemoryBytes: Long? = null,
    val artifactBytes: Long? = null,
    val params: Long? = null,
    val macs: Long? = null,
    val gmacsPerS: Double? = null,
    val ceilingGmacsPerS: Double? = null,
    val efficiency: Double? = null,
    val samplesMs: List<List<Double>>? = null,
    /** The phone's state around the record and the cool-down before it (null: not observed). */
    val conditions: Conditions? = null,
    val extra: Map<String, Any?>? = null,
) {
    enum class Status(val json: String) { OK("ok"), UNAVAILABLE("unavailable"), FAILED("failed") }

    init {
        require(model.isNotEmpty()) { "a record needs a model name" }
        require(status == Status.OK || !reason.isNullOrEmpty()) {
            "a record that is ${status.json} needs a reason"
        }
    }

    /**
     * This record with [summary]'s statistics, and the throughput figures derived from them as
     * edgerep derives them: `gmacs_per_s = macs / (median_ms * 1e-3) / 1e9` (with macs and a
     * non-zero median) and `efficiency = gmacs_per_s / ceiling_gmacs_per_s` (with a ceiling).
     */
    fun withSummary(summary: Summary): BenchRecord {
        val gmacs = if (macs != null && macs != 0L && summary.medianMs != 0.0) {
            macs.toDouble() / (summary.medianMs * 1e-3) / 1e9
        } else {
            gmacsPerS
        }
        val ceiling = ceilingGmacsPerS
        return copy(
            medianMs = summary.medianMs,
            meanMs = summary.meanMs,
            lowMs = summary.lowMs,
            highMs = summary.highMs,
            p90Ms = summary.p90Ms,
            p95Ms = summary.p95Ms,
            p99Ms = summary.p99Ms,
            stdMs = summary.stdMs,
            minMs = summary.minMs,
            maxMs = summary.maxMs,
            iterations = summary.iterations,
            kept = summary.kept,
            gmacsPerS = gmacs,
            efficiency = if (gmacs != null && ceiling != null && ceiling != 0.0) gmacs / ceiling else efficiency,
        )
    }

    companion object {
        /** A record for a model that could not run here (no GPU, NNAPI absent, a load error). */
        fun notRun(
            model: String,
            runtime: String,
            precision: String,
            status: Status,
            reason: String,
            backend: String? = null,
        ): BenchRecord = BenchRecord(
            model = model, runtime = runtime, precision = precision, status = status, reason = reason,
            backend = backend,
        )
    }
}
