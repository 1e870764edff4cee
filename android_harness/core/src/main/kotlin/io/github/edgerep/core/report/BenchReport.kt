package io.github.edgerep.core.report

import io.github.edgerep.core.bench.Protocol
import java.time.Instant
import java.time.temporal.ChronoUnit

/** A harness run: machine, protocol, runtime versions and records (schema `edgerep.bench/2`). */
data class BenchReport(
    val tool: Tool,
    val machine: Machine,
    val protocol: Protocol,
    val records: List<BenchRecord>,
    val runtimes: Map<String, String> = emptyMap(),
    val created: String = utcNow(),
    val extra: Map<String, Any?>? = null,
) {
    data class Tool(val name: String, val version: String)

    init {
        require(CREATED.matches(created)) { "created must be ISO 8601 UTC (e.g. 2026-11-24T10:15:00Z), got '$created'" }
    }

    companion object {
        const val SCHEMA = "edgerep.bench/2"
        private val CREATED = Regex("""\d{4}-\d{2}-\d{2}T\d{2}:\d{2}.*""")

        /** The current time as the schema writes it, to the second: `2026-11-24T10:15:00Z`. */
        fun utcNow(): String = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString()
    }
}
