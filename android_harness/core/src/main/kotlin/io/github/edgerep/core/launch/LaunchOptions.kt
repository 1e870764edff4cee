package io.github.edgerep.core.launch

import io.github.edgerep.core.bench.Protocol

/**
 * What one run of the benchmark app does, parsed from its launch arguments (the `args` extra of
 * `adb shell am start ... --es args "..."`, an instrumentation argument, or the screen's text field).
 *
 * @property models `.tflite` files to measure: names in the app's models folder, or absolute paths.
 * @property suite when set, that suite's baselines run beside [models] (see [SuitePlan]).
 * @property delegates every model runs on each, in this order.
 * @property threads CPU threads given to LiteRT (XNNPACK, and the CPU part of a delegated graph).
 * @property output the report's file name in the reports folder, or null for a timestamped one.
 * @property keepSamples whether records keep every timed sample (`samples_ms`).
 * @property deviceName the machine label in tables and plots, or null for manufacturer and model.
 * @property gpuPrecision the GPU delegate's arithmetic (fp16: precision loss allowed, LiteRT's default).
 * @property apis the LiteRT APIs every model runs on (each with every delegate), in this order.
 * @property cooldownS before each record after the first, wait up to this many seconds for the thermal
 *   state to return to the run's starting state (0: no cool-down).
 */
data class LaunchOptions(
    val models: List<String> = emptyList(),
    val suite: Suite? = null,
    val delegates: List<Delegate> = listOf(Delegate.XNNPACK),
    val threads: Int = DEFAULT_THREADS,
    val protocol: Protocol = Protocol.DEFAULT,
    val output: String? = null,
    val keepSamples: Boolean = false,
    val deviceName: String? = null,
    val gpuPrecision: GpuPrecision = GpuPrecision.FP16,
    val cooldownS: Double = 0.0,
    val apis: List<LiteRtApi> = listOf(LiteRtApi.INTERPRETER),
) {
    companion object {
        const val DEFAULT_THREADS = 4

        const val USAGE = "--models=a.tflite,b.tflite | --suite=imagenet|face [--models=...] " +
            "[--api=interpreter|compiled[,...]] [--delegate=xnnpack|gpu|nnapi|npu[,...]] [--threads=4] [--protocol=default|modelbench|quick] " +
            "[--rounds=N] [--iterations=N] [--warmup=N] [--trim=N] [--out=NAME.json] [--samples] " +
            "[--device=LABEL] [--gpu-precision=fp16|fp32] [--cooldown=SECONDS]"

        /** Parses [args] (one string, as an intent extra carries it); see [LaunchArgs]. */
        fun parse(args: String): LaunchOptions = LaunchArgs.parse(LaunchArgs.split(args))
    }
}
