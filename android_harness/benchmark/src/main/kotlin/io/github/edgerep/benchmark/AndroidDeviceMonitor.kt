package io.github.edgerep.benchmark

import android.content.Context
import android.os.BatteryManager
import android.os.Build
import android.os.PowerManager
import io.github.edgerep.core.device.DeviceMonitor
import io.github.edgerep.core.report.DeviceState
import io.github.edgerep.core.report.ThermalState

/**
 * The phone's state for a record's `conditions`, from Android's system services:
 * `PowerManager.getCurrentThermalStatus()` (API 29; THERMAL_STATUS_NONE 0 ... SHUTDOWN 6),
 * `PowerManager.getThermalHeadroom(0)` (API 30; 1.0 is where severe throttling starts; NaN when the
 * device does not say or when asked faster than once a second: then null), `isPowerSaveMode`
 * (Battery Saver), `BatteryManager.BATTERY_PROPERTY_CAPACITY` (percent) and `isCharging` (API 23).
 * What an older Android lacks is null, never a guess.
 */
internal class AndroidDeviceMonitor(context: Context) : DeviceMonitor {
    private val power = context.getSystemService(PowerManager::class.java)
    private val battery = context.getSystemService(BatteryManager::class.java)

    override fun state(): DeviceState {
        val thermal = if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.Q) {
            power?.currentThermalStatus?.let(ThermalState::android)
        } else {
            null
        }
        val headroom = if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.R) {
            power?.getThermalHeadroom(0)?.toDouble()?.takeIf { it.isFinite() && it >= 0 }
        } else {
            null
        }
        val capacity = battery?.getIntProperty(BatteryManager.BATTERY_PROPERTY_CAPACITY)
        return DeviceState(
            thermalState = thermal,
            thermalHeadroom = headroom,
            lowPowerMode = power?.isPowerSaveMode,
            // getIntProperty returns Integer.MIN_VALUE (or 0 on some devices) when it cannot say.
            batteryLevel = capacity?.takeIf { it in 1..100 }?.let { it / 100.0 },
            charging = battery?.isCharging,
        )
    }
}
