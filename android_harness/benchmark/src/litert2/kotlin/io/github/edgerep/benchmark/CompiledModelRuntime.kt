package io.github.edgerep.benchmark

import com.google.ai.edge.litert.Accelerator
import com.google.ai.edge.litert.CompiledModel
import com.google.ai.edge.litert.TensorBuffer
import io.github.edgerep.core.artifact.Artifact
import io.github.edgerep.core.bench.Predictor
import io.github.edgerep.core.bench.PredictorLoader
import io.github.edgerep.core.launch.Delegate
import io.github.edgerep.core.launch.GpuPrecision
import io.github.edgerep.core.run.ModelRuntime

/**
 * LiteRT 2.x's `CompiledModel` (package `com.google.ai.edge.litert`), the API LiteRT recommends:
 * `CompiledModel.create(path, CompiledModel.Options(accelerator), null)` with `Accelerator.CPU`
 * (the `xnnpack` delegate option, with `CpuOptions(numThreads)`), `GPU` or `NPU`; input and output
 * `TensorBuffer`s created once per load, the input written before the first prediction (untimed:
 * the protocol times `run(inputs, outputs)` only). An accelerator the device lacks fails at create:
 * a failed record with LiteRT's reason.
 */
internal class CompiledModelRuntime : ModelRuntime {
    override val name = "litert-compiled"
    override val version: String = BuildConfig.LITERT_VERSION

    override fun unavailableReason(delegate: Delegate): String? = when (delegate) {
        Delegate.XNNPACK, Delegate.GPU, Delegate.NPU -> null
        Delegate.NNAPI -> "CompiledModel has no NNAPI accelerator (NNAPI is deprecated since Android 15): use npu"
    }

    override fun notes(delegate: Delegate): List<String> =
        if (delegate == Delegate.XNNPACK) listOf("CompiledModel Accelerator.CPU (XNNPACK)") else emptyList()

    override fun loader(artifact: Artifact, delegate: Delegate, threads: Int, gpuPrecision: GpuPrecision): PredictorLoader {
        val values = Inputs.values(artifact)
        val accelerator = when (delegate) {
            Delegate.GPU -> Accelerator.GPU
            Delegate.NPU -> Accelerator.NPU
            else -> Accelerator.CPU
        }
        return PredictorLoader {
            val options = CompiledModel.Options(accelerator)
            if (accelerator == Accelerator.CPU) options.cpuOptions = CompiledModel.CpuOptions(numThreads = threads)
            val model = CompiledModel.create(artifact.file.path, options, null)
            var buffers: List<TensorBuffer> = emptyList()
            try {
                val inputs = model.createInputBuffers()
                val outputs = model.createOutputBuffers()
                buffers = inputs + outputs
                check(inputs.size == 1) { "${artifact.file.name} has ${inputs.size} inputs; the harness feeds one image tensor" }
                inputs[0].writeFloat(values)
                object : Predictor {
                    override fun predict() = model.run(inputs, outputs)

                    override fun close() {
                        buffers.forEach { it.close() }
                        model.close()
                    }
                }
            } catch (e: RuntimeException) {
                buffers.forEach { it.close() }
                model.close()
                throw e
            }
        }
    }
}
