package io.github.edgerep.benchmark

import io.github.edgerep.core.run.MemoryProbe
import io.github.edgerep.core.system.ProcStatus
import java.io.File
import java.io.IOException

/** The app process's memory from /proc/self/status, as edgerep measures it on Linux hosts. */
internal class ProcMemoryProbe : MemoryProbe {
    override fun status(): ProcStatus = try {
        ProcStatus.parse(File("/proc/self/status").readText())
    } catch (e: IOException) {
        ProcStatus(null, null)
    }

    /** Writing 5 to clear_refs resets the peak RSS; Android's SELinux policy may refuse it. */
    override fun resetPeak(): Boolean = try {
        File("/proc/self/clear_refs").writeText("5")
        true
    } catch (e: IOException) {
        false
    } catch (e: SecurityException) {
        false
    }
}
