package io.github.edgerep.core.report

/**
 * What the phone reported at one moment (a record's `conditions.before` / `.after`, schema
 * `edgerep.bench/2`); null where the platform does not say.
 *
 * @property thermalState Android `PowerManager.getCurrentThermalStatus()` as a name (none, light,
 *   moderate, severe, critical, emergency, shutdown; [ThermalState]).
 * @property thermalHeadroom `PowerManager.getThermalHeadroom(0)`: 1.0 is where severe throttling starts.
 * @property lowPowerMode Battery Saver (`PowerManager.isPowerSaveMode`).
 * @property batteryLevel charge, 0 to 1.
 * @property charging `BatteryManager.isCharging`.
 */
data class DeviceState(
    val thermalState: String? = null,
    val thermalHeadroom: Double? = null,
    val lowPowerMode: Boolean? = null,
    val batteryLevel: Double? = null,
    val charging: Boolean? = null,
) {
    init {
        require(batteryLevel == null || batteryLevel in 0.0..1.0) { "battery level must be within 0..1, got $batteryLevel" }
        require(thermalHeadroom == null || (thermalHeadroom.isFinite() && thermalHeadroom >= 0)) {
            "thermal headroom must be a non-negative number, got $thermalHeadroom"
        }
    }
}

/** The phone's state around one record and the cool-down waited before it (schema `conditions`). */
data class Conditions(
    val before: DeviceState? = null,
    val after: DeviceState? = null,
    /** Seconds waited before the record for the thermal state to return (null: no cool-down asked). */
    val cooldownS: Double? = null,
    /** Whether it returned within the allowed wait (false: the record ran warm; null: no cool-down). */
    val cooled: Boolean? = null,
)

/**
 * Android's thermal statuses (`PowerManager.THERMAL_STATUS_NONE` = 0 ... `THERMAL_STATUS_SHUTDOWN` = 6)
 * by name, in order: what the report stores and what the cool-down compares.
 */
object ThermalState {
    val ANDROID: List<String> = listOf("none", "light", "moderate", "severe", "critical", "emergency", "shutdown")

    /** The name of Android status [status] (an unknown code is `status_N`, never dropped). */
    fun android(status: Int): String = ANDROID.getOrNull(status) ?: "status_$status"

    /** The rank of [name] in Android's order, or null for a name it does not know. */
    fun rank(name: String?): Int? = ANDROID.indexOf(name).takeIf { it >= 0 }
}
