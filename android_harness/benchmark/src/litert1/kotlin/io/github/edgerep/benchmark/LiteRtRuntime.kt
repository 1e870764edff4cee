package io.github.edgerep.benchmark

import android.os.Build
import io.github.edgerep.core.artifact.Artifact
import io.github.edgerep.core.artifact.InputKind
import io.github.edgerep.core.artifact.InputSpec
import io.github.edgerep.core.artifact.Layout
import io.github.edgerep.core.artifact.SyntheticInput
import io.github.edgerep.core.bench.PredictorLoader
import io.github.edgerep.core.launch.Delegate
import io.github.edgerep.core.launch.GpuPrecision
import io.github.edgerep.core.run.ModelRuntime
import org.tensorflow.lite.DataType
import org.tensorflow.lite.Interpreter
import org.tensorflow.lite.gpu.CompatibilityList
import java.nio.ByteBuffer
import java.nio.ByteOrder

/**
 * LiteRT (the classic `Interpreter` API of litert 1.x) behind the core's [ModelRuntime]: XNNPACK on
 * the CPU with a thread count, the GPU delegate where LiteRT's compatibility list supports the
 * device, and NNAPI on Android 8.1+ (deprecated since Android 15, noted in the record).
 */
internal class LiteRtRuntime : ModelRuntime {
    override val name = "litert"
    override val version: String = BuildConfig.LITERT_VERSION

    override fun unavailableReason(delegate: Delegate): String? = when (delegate) {
        Delegate.XNNPACK -> null
        // CompatibilityList holds native memory until closed ("User is expected to call this method explicitly").
        Delegate.GPU -> if (CompatibilityList().use { it.isDelegateSupportedOnThisDevice }) {
            null
        } else {
            "LiteRT's GPU compatibility list does not support this device's GPU"
        }
        Delegate.NNAPI -> if (Build.VERSION.SDK_INT < Build.VERSION_CODES.O_MR1) {
            "NNAPI needs Android 8.1 (API 27); this device runs API ${Build.VERSION.SDK_INT}"
        } else {
            null
        }
        Delegate.NPU -> "the Interpreter has no NPU delegate: the NPU is LiteRT 2.x's CompiledModel (--api=compiled)"
    }

    override fun notes(delegate: Delegate): List<String> =
        if (delegate == Delegate.NNAPI && Build.VERSION.SDK_INT >= Build.VERSION_CODES.VANILLA_ICE_CREAM) {
            listOf("NNAPI is deprecated since Android 15 (API 35); measured for comparison with older devices")
        } else {
            emptyList()
        }

    override fun loader(artifact: Artifact, delegate: Delegate, threads: Int, gpuPrecision: GpuPrecision): PredictorLoader {
        // Built once per record, outside the timed loads: the same input every round.
        val input = inputBuffer(artifact)
        return PredictorLoader { LiteRtPredictor.open(artifact.file, delegate, threads, gpuPrecision, input) }
    }

    /** The input tensor's bytes: from the edgerep metadata, or for a foreign model its tensor shape. */
    private fun inputBuffer(artifact: Artifact): ByteBuffer {
        val spec = artifact.metadata?.input ?: foreignInput(artifact)
        val values = SyntheticInput.values(spec)
        val buffer = ByteBuffer.allocateDirect(values.size * Float.SIZE_BYTES).order(ByteOrder.nativeOrder())
        buffer.asFloatBuffer().put(values)
        return buffer
    }

    /** A model without edgerep metadata: an NHWC float image in [-1, 1], if its input is one. */
    private fun foreignInput(artifact: Artifact): InputSpec {
        val interpreter = Interpreter(artifact.file, Interpreter.Options().setNumThreads(1))
        try {
            val tensor = interpreter.getInputTensor(0)
            val shape = tensor.shape().toList()
            check(tensor.dataType() == DataType.FLOAT32 && shape.size == 4) {
                "${artifact.file.name} has no edgerep metadata and its input is ${tensor.dataType()} $shape, " +
                    "not a float32 image batch; export it with edgerep export ... --target tflite"
            }
            return InputSpec(tensor.name(), shape, Layout.NHWC, InputKind.TENSOR, mean = null, std = null)
        } finally {
            interpreter.close()
        }
    }
}
