package io.github.edgerep.core.run

import io.github.edgerep.core.system.ProcStatus

/** Reads the process's memory figures around a measurement (see `peakMemoryGrowth`). */
interface MemoryProbe {
    fun status(): ProcStatus

    /** Resets the kernel's peak RSS to the current RSS; false when the OS does not allow it. */
    fun resetPeak(): Boolean

    companion object {
        /** For platforms without /proc: peak memory stays unknown (null). */
        val NONE: MemoryProbe = object : MemoryProbe {
            override fun status() = ProcStatus(null, null)
            override fun resetPeak() = false
        }
    }
}
