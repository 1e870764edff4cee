package io.github.edgerep.core.system

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Test

class ProcStatusTest {
    private val status = """
        Name:	edgerep.bench
        VmPeak:	 6051660 kB
        VmHWM:	  204800 kB
        VmRSS:	  102400 kB
        Threads:	17
    """.trimIndent()

    @Test
    fun `reads VmRSS and VmHWM in bytes`() {
        assertEquals(ProcStatus(rssBytes = 102400L * 1024, peakRssBytes = 204800L * 1024), ProcStatus.parse(status))
        assertEquals(ProcStatus(null, null), ProcStatus.parse("Name:\tx\n"))
    }

    @Test
    fun `growth follows edgerep's rules with and without a peak reset`() {
        val before = ProcStatus(rssBytes = 100, peakRssBytes = 500)
        assertEquals(300L, peakMemoryGrowth(before, ProcStatus(120, 400), peakWasReset = true))
        assertEquals(0L, peakMemoryGrowth(before, ProcStatus(90, 90), peakWasReset = true))
        assertNull(peakMemoryGrowth(before, ProcStatus(120, 400), peakWasReset = false), "peak did not rise: unknown")
        assertEquals(600L, peakMemoryGrowth(before, ProcStatus(120, 700), peakWasReset = false))
        assertNull(peakMemoryGrowth(ProcStatus(null, null), ProcStatus(1, 2), peakWasReset = true))
    }
}
