package io.github.edgerep.benchmark

import android.os.Build
import io.github.edgerep.core.artifact.Artifact
import io.github.edgerep.core.bench.PredictorLoader
import io.github.edgerep.core.launch.Delegate
import io.github.edgerep.core.launch.GpuPrecision
import io.github.edgerep.core.run.ModelRuntime
import org.tensorflow.lite.gpu.CompatibilityList

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
        val input = Inputs.buffer(artifact)
        return PredictorLoader { LiteRtPredictor.open(artifact.file, delegate, threads, gpuPrecision, input) }
    }
}
