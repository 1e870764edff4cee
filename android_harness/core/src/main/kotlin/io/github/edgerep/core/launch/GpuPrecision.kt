package io.github.edgerep.core.launch

/**
 * The arithmetic LiteRT's GPU delegate runs in. Its options allow precision loss by default
 * (`GpuDelegateFactory.Options.setPrecisionLossAllowed`, true in `CompatibilityList`'s best options):
 * an fp32 model then computes in fp16, and a record that said `fp32` would be wrong. The harness sets
 * the option explicitly from `--gpu-precision` and labels the record with what ran ([recordPrecision]).
 */
enum class GpuPrecision(val option: String, val precisionLossAllowed: Boolean) {
    FP16("fp16", true),
    FP32("fp32", false);

    companion object {
        fun fromOption(value: String): GpuPrecision? = entries.firstOrNull { it.option == value.lowercase() }

        /**
         * The precision a record on [delegate] states for an artifact stored in [artifactPrecision]
         * (null when the artifact has no edgerep metadata): on the GPU with precision loss allowed,
         * float32 arithmetic becomes fp16; everything else computes as stored.
         */
        fun recordPrecision(artifactPrecision: String?, delegate: Delegate, gpu: GpuPrecision): String {
            val stored = artifactPrecision ?: "unknown"
            return if (delegate == Delegate.GPU && gpu.precisionLossAllowed && stored in FLOAT32_NAMES) "fp16" else stored
        }

        /** Notes for a record whose computed precision is not the stored one (null when they agree). */
        fun note(artifactPrecision: String?, delegate: Delegate, gpu: GpuPrecision): String? = when {
            delegate != Delegate.GPU -> null
            gpu.precisionLossAllowed ->
                "GPU delegate with precisionLossAllowed: computes in fp16 " +
                    "(the artifact stores ${artifactPrecision ?: "an unknown precision"}); --gpu-precision=fp32 for full precision"
            else -> "GPU delegate with precisionLossAllowed=false: computes in fp32"
        }

        private val FLOAT32_NAMES = setOf("fp32", "float32")
    }
}
