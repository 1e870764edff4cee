package io.github.edgerep.core.run

import io.github.edgerep.core.artifact.Artifact
import io.github.edgerep.core.bench.PredictorLoader
import io.github.edgerep.core.launch.Delegate
import io.github.edgerep.core.launch.GpuPrecision

/** What the platform provides to measure a model: LiteRT on Android, a fake in tests. */
interface ModelRuntime {
    /** The record's `runtime` field, e.g. `litert`. */
    val name: String

    /** The runtime's version, for the record and the report's `runtimes` block. */
    val version: String?

    /** Null when [delegate] can run on this device, otherwise why not (the record's reason). */
    fun unavailableReason(delegate: Delegate): String?

    /** Notes a record on [delegate] carries in its `extra` (e.g. NNAPI's deprecation). */
    fun notes(delegate: Delegate): List<String> = emptyList()

    /**
     * A loader that builds the model with its input in place; [PredictorLoader.load] may throw.
     * [gpuPrecision] is the GPU delegate's arithmetic (ignored by other delegates).
     */
    fun loader(artifact: Artifact, delegate: Delegate, threads: Int, gpuPrecision: GpuPrecision): PredictorLoader
}
