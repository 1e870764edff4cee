package io.github.edgerep.core.system

/**
 * The memory lines of `/proc/self/status` (Linux and Android): resident set now (`VmRSS`) and its
 * peak (`VmHWM`), in bytes.
 */
data class ProcStatus(val rssBytes: Long?, val peakRssBytes: Long?) {
    companion object {
        fun parse(text: String): ProcStatus = ProcStatus(kib(text, "VmRSS"), kib(text, "VmHWM"))

        private fun kib(text: String, field: String): Long? = text.lineSequence()
            .firstOrNull { it.startsWith("$field:") }
            ?.substringAfter(':')?.trim()?.split(Regex("\\s+"))?.firstOrNull()?.toLongOrNull()
            ?.let { it * 1024 }
    }
}

/**
 * A record's `peak_memory_bytes` as edgerep defines it (edgerep/bench/memory.py): the growth of the
 * process's peak resident memory while the model loaded and ran. With [peakWasReset] (the kernel's
 * peak reset to the current RSS by writing 5 to /proc/self/clear_refs before the run) it is
 * `peak after - RSS before`; without, it is known only when the peak rose above the earlier one.
 */
fun peakMemoryGrowth(before: ProcStatus, after: ProcStatus, peakWasReset: Boolean): Long? {
    val rss = before.rssBytes ?: return null
    val peak = after.peakRssBytes ?: return null
    return when {
        peakWasReset -> maxOf(0L, peak - rss)
        before.peakRssBytes != null && peak > before.peakRssBytes -> peak - rss
        else -> null
    }
}
