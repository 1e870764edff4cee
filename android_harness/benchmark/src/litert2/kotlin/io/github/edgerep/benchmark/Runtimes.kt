package io.github.edgerep.benchmark

import io.github.edgerep.core.launch.LiteRtApi
import io.github.edgerep.core.run.ModelRuntime

/**
 * The litert2 build (LiteRT 2.x): the classic Interpreter, which in 2.x runs on the CPU only
 * (XNNPACK: no delegates), and LiteRT 2.x's CompiledModel with the CPU, GPU and NPU accelerators.
 * `--api=interpreter,compiled` measures both in one report (records' runtime `litert` and
 * `litert-compiled`).
 */
internal object Runtimes {
    fun forApi(api: LiteRtApi): ModelRuntime? = when (api) {
        LiteRtApi.INTERPRETER -> InterpreterRuntime()
        LiteRtApi.COMPILED -> CompiledModelRuntime()
    }
}
