package io.github.edgerep.core.bench

/**
 * How a record is measured: [rounds] x (reload when [reload], [warmup] untimed predictions,
 * [iterations] timed ones), with the [trim] fastest and slowest of each round dropped before the
 * round mean. The same rules as edgerep's `Protocol` (edgerep/bench/stats.py).
 */
data class Protocol(
    val name: String,
    val rounds: Int,
    val iterations: Int,
    val warmup: Int = 1,
    val trim: Int = 0,
    val reload: Boolean = true,
) {
    init {
        require(rounds >= 1) { "rounds must be a positive integer, got $rounds" }
        require(iterations >= 1) { "iterations must be a positive integer, got $iterations" }
        require(warmup >= 0) { "warmup must be a non-negative integer, got $warmup" }
        require(trim >= 0) { "trim must be a non-negative integer, got $trim" }
        require(2 * trim < iterations) {
            "trim=$trim drops ${2 * trim} of the $iterations predictions of a round (the fastest and " +
                "slowest $trim each); use trim < iterations / 2 (at most ${(iterations - 1) / 2})"
        }
    }

    /** Timed predictions over all rounds. */
    val timed: Int get() = rounds * iterations

    /**
     * A copy with some counts replaced, named `custom` when anything changed. When only
     * [iterations] changes, [trim] keeps the same fraction of the round (as edgerep does).
     */
    fun withCounts(
        rounds: Int? = null,
        iterations: Int? = null,
        warmup: Int? = null,
        trim: Int? = null,
    ): Protocol {
        val newIterations = iterations ?: this.iterations
        val newTrim = trim ?: if (iterations == null) this.trim else newIterations * this.trim / this.iterations
        val newRounds = rounds ?: this.rounds
        val newWarmup = warmup ?: this.warmup
        val changed = newRounds != this.rounds || newIterations != this.iterations ||
            newWarmup != this.warmup || newTrim != this.trim
        return Protocol(
            name = if (changed) "custom" else name,
            rounds = newRounds,
            iterations = newIterations,
            warmup = newWarmup,
            trim = newTrim,
            reload = reload,
        )
    }

    companion object {
        /** Apple's ModelBench: 20 rounds x 50, one warm-up, reload each round, trim 10. */
        val MODELBENCH = Protocol("modelbench", rounds = 20, iterations = 50, warmup = 1, trim = 10)

        /** ModelBench's shape at a twentieth of its predictions. */
        val DEFAULT = Protocol("default", rounds = 5, iterations = 10, warmup = 1, trim = 2)

        /** For smoke runs and CI. */
        val QUICK = Protocol("quick", rounds = 2, iterations = 5, warmup = 1, trim = 1)

        val BY_NAME: Map<String, Protocol> = listOf(DEFAULT, MODELBENCH, QUICK).associateBy { it.name }
    }
}
