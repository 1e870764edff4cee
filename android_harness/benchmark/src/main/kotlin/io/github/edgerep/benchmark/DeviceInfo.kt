package io.github.edgerep.benchmark

import android.app.ActivityManager
import android.content.Context
import android.os.Build
import io.github.edgerep.core.report.Machine

/** The report's machine block for this phone. */
internal object DeviceInfo {
    fun machine(context: Context, label: String?): Machine {
        val memory = ActivityManager.MemoryInfo()
        (context.getSystemService(Context.ACTIVITY_SERVICE) as ActivityManager).getMemoryInfo(memory)
        val soc = if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.S) {
            Build.SOC_MODEL.takeUnless { it.isBlank() || it == Build.UNKNOWN }
        } else {
            null
        }
        return Machine(
            name = label ?: "${Build.MANUFACTURER} ${Build.MODEL}",
            os = "Android",
            osVersion = Build.VERSION.RELEASE,
            cpu = soc ?: Build.HARDWARE,
            arch = Build.SUPPORTED_ABIS.firstOrNull(),
            cores = Runtime.getRuntime().availableProcessors(),
            memoryBytes = memory.totalMem,
            manufacturer = Build.MANUFACTURER,
            model = Build.MODEL,
            extra = mapOf("api_level" to Build.VERSION.SDK_INT, "device" to Build.DEVICE, "build" to Build.FINGERPRINT),
        )
    }
}
