package io.github.edgerep.core.bench

/** What a protocol run measured (ms): the first load, the first prediction after it, the samples. */
data class Measurement(
    val loadMs: Double,
    val firstMs: Double,
    val rounds: List<List<Double>>,
)

/**
 * Runs a [Protocol] on a model, timing with an injected [MonotonicClock]; the same loop as edgerep's
 * `measure` (edgerep/bench/measure.py). Every duration is `(end_ns - start_ns) / 1e6` ms.
 *
 * The first prediction after the first load is reported separately ([Measurement.firstMs]); it is
 * also that round's first warm-up, or its first timed sample when the protocol has no warm-up.
 * A model is closed before the next one loads, and after the last round.
 */
class ProtocolRunner(private val clock: MonotonicClock = MonotonicClock.SYSTEM) {

    fun run(loader: PredictorLoader, protocol: Protocol, onRound: (done: Int) -> Unit = {}): Measurement {
        val rounds = ArrayList<List<Double>>(protocol.rounds)
        var loadMs = 0.0
        var firstMs = 0.0
        var predictor: Predictor? = null
        try {
            for (round in 0 until protocol.rounds) {
                if (predictor == null || protocol.reload) {
                    predictor?.close()
                    predictor = null
                    val start = clock.nanoTime()
                    predictor = loader.load()
                    if (round == 0) loadMs = elapsedMs(start)
                }
                val samples = ArrayList<Double>(protocol.iterations)
                for (i in 0 until protocol.warmup + protocol.iterations) {
                    val start = clock.nanoTime()
                    predictor.predict()
                    val elapsed = elapsedMs(start)
                    if (round == 0 && i == 0) firstMs = elapsed
                    if (i >= protocol.warmup) samples.add(elapsed)
                }
                rounds.add(samples)
                onRound(round + 1)
            }
        } finally {
            predictor?.close()
        }
        return Measurement(loadMs, firstMs, rounds)
    }

    private fun elapsedMs(startNs: Long): Double = (clock.nanoTime() - startNs) / 1e6
}
