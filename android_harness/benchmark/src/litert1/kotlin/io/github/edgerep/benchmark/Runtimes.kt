package io.github.edgerep.benchmark

import io.github.edgerep.core.launch.LiteRtApi
import io.github.edgerep.core.run.ModelRuntime

/**
 * The litert1 build (LiteRT 1.4.2): the classic Interpreter with XNNPACK, the GPU delegate and NNAPI.
 * LiteRT 1.x has no CompiledModel: `--api=compiled` records are unavailable and say to install the
 * litert2 build (one APK links one LiteRT version).
 */
internal object Runtimes {
    fun forApi(api: LiteRtApi): ModelRuntime? = when (api) {
        LiteRtApi.INTERPRETER -> LiteRtRuntime()
        LiteRtApi.COMPILED -> null
    }
}
