package io.github.edgerep.core.bench

import io.github.edgerep.core.GoldenVectors
import io.github.edgerep.core.GoldenVectors.assertClose
import org.json.JSONArray
import org.json.JSONObject
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.DynamicTest
import org.junit.jupiter.api.TestFactory

/** Every case of protocol.json: the loop on a scripted clock gives edgerep's timings exactly. */
class ProtocolVectorsTest {

    /** A model whose loads and predictions advance a fake clock by scripted nanoseconds. */
    private class ScriptedModel(private val loadNs: List<Long>, private val predictNs: List<Long>) : MonotonicClock {
        var now = 0L
        var loads = 0
        var predictions = 0
        var openModels = 0

        override fun nanoTime(): Long = now

        val loader = PredictorLoader {
            now += loadNs[loads % loadNs.size]
            loads++
            openModels++
            object : Predictor {
                override fun predict() {
                    now += predictNs[predictions % predictNs.size]
                    predictions++
                }

                override fun close() {
                    openModels--
                }
            }
        }
    }

    @TestFactory
    fun `the protocol loop matches edgerep on a scripted clock`(): List<DynamicTest> =
        GoldenVectors.cases("protocol").map { case -> DynamicTest.dynamicTest(case.getString("name")) { checkCase(case) } }

    private fun checkCase(case: JSONObject) {
        val p = case.getJSONObject("protocol")
        val protocol = Protocol(
            name = "vector", rounds = p.getInt("rounds"), iterations = p.getInt("iterations"),
            warmup = p.getInt("warmup"), trim = p.getInt("trim"), reload = p.getBoolean("reload"),
        )
        val model = ScriptedModel(longs(case.getJSONArray("load_ns")), longs(case.getJSONArray("predict_ns")))
        val measurement = ProtocolRunner(model).run(model.loader, protocol)
        val expected = case.getJSONObject("expected")

        assertEquals(expected.getInt("loads"), model.loads, "loads")
        assertEquals(expected.getInt("predictions"), model.predictions, "predictions")
        assertEquals(0, model.openModels, "every loaded model is closed")
        assertEquals(expected.getDouble("load_ms"), measurement.loadMs, "load_ms")
        assertEquals(expected.getDouble("first_ms"), measurement.firstMs, "first_ms")
        assertEquals(GoldenVectors.rounds(expected.getJSONArray("samples_ms")), measurement.rounds, "samples_ms")

        val summary = Statistics.summarize(measurement.rounds, protocol.trim)
        val s = expected.getJSONObject("summary")
        assertClose(s.getDouble("median_ms"), summary.medianMs, "median_ms")
        assertClose(s.getDouble("mean_ms"), summary.meanMs, "mean_ms")
        assertClose(s.getDouble("low_ms"), summary.lowMs, "low_ms")
        assertClose(s.getDouble("high_ms"), summary.highMs, "high_ms")
        assertClose(s.getDouble("p90_ms"), summary.p90Ms, "p90_ms")
        assertClose(s.getDouble("p95_ms"), summary.p95Ms, "p95_ms")
        assertClose(s.getDouble("p99_ms"), summary.p99Ms, "p99_ms")
        assertClose(s.getDouble("std_ms"), summary.stdMs, "std_ms")
        assertClose(s.getDouble("min_ms"), summary.minMs, "min_ms")
        assertClose(s.getDouble("max_ms"), summary.maxMs, "max_ms")
        assertEquals(s.getInt("iterations"), summary.iterations)
        assertEquals(s.getInt("kept"), summary.kept)
    }

    private fun longs(array: JSONArray): List<Long> = List(array.length()) { array.getLong(it) }
}
