package io.github.edgerep.core.bench

import io.github.edgerep.core.GoldenVectors
import io.github.edgerep.core.GoldenVectors.assertClose
import io.github.edgerep.core.GoldenVectors.doubleOrNull
import io.github.edgerep.core.GoldenVectors.longOrNull
import io.github.edgerep.core.report.BenchRecord
import io.github.edgerep.core.report.ReportJson
import org.json.JSONObject
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.DynamicTest
import org.junit.jupiter.api.TestFactory

/** Every case of stats.json: the same statistics as edgerep, and the same numbers in the record. */
class StatisticsVectorsTest {
    private val doubleFields = listOf(
        "median_ms", "mean_ms", "low_ms", "high_ms", "p90_ms", "p95_ms", "p99_ms", "std_ms", "min_ms", "max_ms", "gmacs_per_s", "efficiency",
    )

    @TestFactory
    fun `statistics and record fields match edgerep`(): List<DynamicTest> =
        GoldenVectors.cases("stats").filter { !it.has("error") }.map { case ->
            DynamicTest.dynamicTest(case.getString("name")) { checkCase(case) }
        }

    @TestFactory
    fun `invalid samples are refused as edgerep refuses them`(): List<DynamicTest> =
        GoldenVectors.cases("stats").filter { it.has("error") }.map { case ->
            DynamicTest.dynamicTest(case.getString("name")) {
                val rounds = GoldenVectors.rounds(case.getJSONArray("samples_ms"))
                assertThrows(IllegalArgumentException::class.java) { Statistics.summarize(rounds, case.getInt("trim")) }
            }
        }

    private fun checkCase(case: JSONObject) {
        val rounds = GoldenVectors.rounds(case.getJSONArray("samples_ms"))
        val record = BenchRecord(
            model = "vector", runtime = "vector", precision = "fp32",
            macs = longOrNull(case, "macs"), ceilingGmacsPerS = doubleOrNull(case, "ceiling_gmacs_per_s"),
        ).withSummary(Statistics.summarize(rounds, case.getInt("trim")))

        val expected = case.getJSONObject("expected")
        val actual = mapOf(
            "median_ms" to record.medianMs, "mean_ms" to record.meanMs, "low_ms" to record.lowMs,
            "high_ms" to record.highMs, "p90_ms" to record.p90Ms, "p95_ms" to record.p95Ms, "p99_ms" to record.p99Ms,
            "std_ms" to record.stdMs,
            "min_ms" to record.minMs, "max_ms" to record.maxMs, "gmacs_per_s" to record.gmacsPerS,
            "efficiency" to record.efficiency,
        )
        for (field in doubleFields) assertClose(doubleOrNull(expected, field), actual[field], field)
        assertEquals(expected.getInt("iterations"), record.iterations, "iterations")
        assertEquals(expected.getInt("kept"), record.kept, "kept")

        // The record as the report stores it: exactly the numbers edgerep's writer stores.
        val written = ReportJson.record(record)
        val expectedRecord = case.getJSONObject("expected_record")
        for (field in doubleFields + "ceiling_gmacs_per_s") {
            assertEquals(doubleOrNull(expectedRecord, field), doubleOrNull(written, field), "written $field")
        }
        assertEquals(expectedRecord.getInt("iterations"), written.getInt("iterations"))
        assertEquals(expectedRecord.getInt("kept"), written.getInt("kept"))
    }
}
