package io.github.edgerep.benchmark

import io.github.edgerep.core.artifact.Artifact
import io.github.edgerep.core.bench.Predictor
import io.github.edgerep.core.bench.PredictorLoader
import io.github.edgerep.core.launch.Delegate
import io.github.edgerep.core.launch.GpuPrecision
import io.github.edgerep.core.run.ModelRuntime
import org.tensorflow.lite.Interpreter
import java.nio.ByteBuffer
import java.nio.ByteOrder

/**
 * LiteRT 2.x's classic `Interpreter`: options are threads and XNNPACK only (docs/harness-protocol.md: no delegates
 * in 2.x), so the GPU, NNAPI and NPU records of this API are unavailable and name the API that has them.
 */
internal class InterpreterRuntime : ModelRuntime {
    override val name = "litert"
    override val version: String = BuildConfig.LITERT_VERSION

    override fun unavailableReason(delegate: Delegate): String? = when (delegate) {
        Delegate.XNNPACK -> null
        Delegate.GPU, Delegate.NPU ->
            "LiteRT ${BuildConfig.LITERT_VERSION}'s Interpreter has no delegates: ${delegate.option} is CompiledModel's (--api=compiled)"
        Delegate.NNAPI -> "LiteRT ${BuildConfig.LITERT_VERSION}'s Interpreter has no NNAPI delegate (deprecated since Android 15)"
    }

    override fun loader(artifact: Artifact, delegate: Delegate, threads: Int, gpuPrecision: GpuPrecision): PredictorLoader {
        val input = Inputs.buffer(artifact)
        return PredictorLoader {
            val interpreter = Interpreter(artifact.file, Interpreter.Options().setNumThreads(threads).setUseXNNPACK(true))
            try {
                check(interpreter.inputTensorCount == 1) {
                    "${artifact.file.name} has ${interpreter.inputTensorCount} inputs; the harness feeds one image tensor"
                }
                check(interpreter.getInputTensor(0).numBytes() == input.capacity()) {
                    "${artifact.file.name}: the input built from its metadata has ${input.capacity()} bytes, " +
                        "the tensor takes ${interpreter.getInputTensor(0).numBytes()}"
                }
                val output = ByteBuffer.allocateDirect(interpreter.getOutputTensor(0).numBytes()).order(ByteOrder.nativeOrder())
                object : Predictor {
                    override fun predict() {
                        input.rewind()
                        output.rewind()
                        interpreter.run(input, output)
                    }

                    override fun close() = interpreter.close()
                }
            } catch (e: RuntimeException) {
                interpreter.close()
                throw e
            }
        }
    }
}
