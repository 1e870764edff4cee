package io.github.edgerep.core.launch

/**
 * Which LiteRT API runs a record: the classic `Interpreter` (LiteRT 1.x's API; in 2.x it remains,
 * CPU only) or LiteRT 2.x's `CompiledModel` (accelerators CPU, GPU, NPU), which LiteRT now recommends.
 * [runtime] is the record's `runtime` field, so the two stay apart in every table.
 */
enum class LiteRtApi(val option: String, val runtime: String) {
    INTERPRETER("interpreter", "litert"),
    COMPILED("compiled", "litert-compiled");

    companion object {
        fun fromOption(value: String): LiteRtApi? = entries.firstOrNull { it.option == value.lowercase() }
    }
}
