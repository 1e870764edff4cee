package io.github.edgerep.core.bench

/** A loaded model with its input already in place: [predict] runs one inference. */
interface Predictor : AutoCloseable {
    fun predict()

    /** Releases the runtime's resources (interpreter, delegate, buffers). */
    override fun close() {}
}

/** Builds a fresh [Predictor]: what one round's "reload" means (interpreter creation included). */
fun interface PredictorLoader {
    fun load(): Predictor
}
