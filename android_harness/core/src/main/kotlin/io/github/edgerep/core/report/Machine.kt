package io.github.edgerep.core.report

/** The report's `machine` block: the phone or board the harness ran on. */
data class Machine(
    val name: String,
    val os: String,
    val kind: String = "device",
    val osVersion: String? = null,
    val cpu: String? = null,
    val arch: String? = null,
    val cores: Int? = null,
    val memoryBytes: Long? = null,
    val manufacturer: String? = null,
    val model: String? = null,
    val extra: Map<String, Any?>? = null,
) {
    init {
        require(kind == "device" || kind == "host") { "machine kind must be device or host, got '$kind'" }
        require(name.isNotEmpty()) { "a machine needs a name (shown in tables and plots)" }
        require(os.isNotEmpty()) { "a machine needs an os" }
    }
}
