package io.github.edgerep.core.launch

/**
 * Where LiteRT runs a model. [backend] is what a record's `backend` field says.
 *
 * NNAPI is deprecated since Android 15 (API 35): the harness still measures it where the OS has it
 * (API 27+), for comparison with older reports, and says so in the record.
 */
enum class Delegate(val option: String, val backend: String) {
    XNNPACK("xnnpack", "XNNPACK"),
    GPU("gpu", "GPU"),
    NNAPI("nnapi", "NNAPI"),

    /** The NPU through LiteRT 2.x's `CompiledModel` (`Accelerator.NPU`); the Interpreter has none. */
    NPU("npu", "NPU");

    companion object {
        fun fromOption(value: String): Delegate? = entries.firstOrNull { it.option == value.lowercase() }
    }
}
