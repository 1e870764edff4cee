package io.github.edgerep.core.launch

/**
 * A comparison suite, as `edgerep bench --suite` defines it: the models under test of one task
 * beside that task's baselines (the artifacts whose metadata says `baseline: true`).
 */
enum class Suite(val option: String, val task: String, val baselineExample: String) {
    IMAGENET("imagenet", "classification", "mobileone_s0"),
    FACE("face", "face-embedding", "edgeface_xs_gamma_06");

    companion object {
        fun fromOption(value: String): Suite? = entries.firstOrNull { it.option == value.lowercase() }
    }
}
