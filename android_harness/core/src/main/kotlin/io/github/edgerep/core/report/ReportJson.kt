package io.github.edgerep.core.report

import io.github.edgerep.core.bench.Protocol
import org.json.JSONArray
import org.json.JSONObject

/**
 * Writes reports as `edgerep.bench/1` JSON with `org.json` (built into Android; Debian's
 * libandroid-json-java on the JVM). Numbers are stored as edgerep's `Record.to_dict` stores them:
 * fields ending in `_ms` or `_s` rounded half-even to 4 decimals, other fractional fields to 6,
 * every sample of `samples_ms` to 4. Non-finite numbers are refused.
 */
object ReportJson {

    fun encode(report: BenchReport, indent: Int = 2): String = toJson(report).toString(indent) + "\n"

    fun toJson(report: BenchReport): JSONObject {
        val json = JSONObject()
        json.put("schema", BenchReport.SCHEMA)
        json.put("created", report.created)
        json.put("tool", JSONObject().put("name", report.tool.name).put("version", report.tool.version))
        json.put("machine", machine(report.machine))
        json.put("protocol", protocol(report.protocol))
        val runtimes = JSONObject()
        report.runtimes.forEach { (name, version) -> runtimes.put(name, version) }
        json.put("runtimes", runtimes)
        json.put("records", JSONArray().also { array -> report.records.forEach { array.put(record(it)) } })
        report.extra?.let { json.put("extra", jsonValue(it)) }
        return json
    }

    fun record(record: BenchRecord): JSONObject {
        val json = JSONObject()
        fun put(key: String, value: Any?) {
            json.put(key, value ?: JSONObject.NULL)
        }
        fun number(key: String, value: Double?) = put(key, value?.let { roundField(key, it) })
        put("model", record.model)
        put("form", record.form)
        put("runtime", record.runtime)
        put("precision", record.precision)
        put("status", record.status.json)
        put("reason", record.reason)
        put("family", record.family)
        put("task", record.task)
        put("baseline", record.baseline)
        put("runtime_version", record.runtimeVersion)
        put("backend", record.backend)
        put("threads", record.threads)
        put("batch", record.batch)
        put("input_shape", record.inputShape?.let { JSONArray(it) })
        number("load_ms", record.loadMs)
        number("first_ms", record.firstMs)
        number("median_ms", record.medianMs)
        number("mean_ms", record.meanMs)
        number("low_ms", record.lowMs)
        number("high_ms", record.highMs)
        number("p90_ms", record.p90Ms)
        number("p95_ms", record.p95Ms)
        number("p99_ms", record.p99Ms)
        number("std_ms", record.stdMs)
        number("min_ms", record.minMs)
        number("max_ms", record.maxMs)
        put("iterations", record.iterations)
        put("kept", record.kept)
        put("peak_memory_bytes", record.peakMemoryBytes)
        put("artifact_bytes", record.artifactBytes)
        put("params", record.params)
        put("macs", record.macs)
        number("gmacs_per_s", record.gmacsPerS)
        number("ceiling_gmacs_per_s", record.ceilingGmacsPerS)
        number("efficiency", record.efficiency)
        record.samplesMs?.let { rounds ->
            val array = JSONArray()
            rounds.forEach { round -> array.put(JSONArray().also { r -> round.forEach { r.put(roundHalfEven(it, 4)) } }) }
            json.put("samples_ms", array)
        }
        record.conditions?.let { json.put("conditions", conditions(it)) }
        record.extra?.let { json.put("extra", jsonValue(it)) }
        return json
    }

    private fun conditions(conditions: Conditions): JSONObject {
        val json = JSONObject()
        conditions.before?.let { json.put("before", deviceState(it)) }
        conditions.after?.let { json.put("after", deviceState(it)) }
        json.put("cooldown_s", conditions.cooldownS?.let { roundField("cooldown_s", finite(it, "cooldown_s")) } ?: JSONObject.NULL)
        json.put("cooled", conditions.cooled ?: JSONObject.NULL)
        return json
    }

    private fun deviceState(state: DeviceState): JSONObject = JSONObject()
        .put("thermal_state", state.thermalState ?: JSONObject.NULL)
        .put("thermal_headroom", state.thermalHeadroom?.let { roundField("thermal_headroom", finite(it, "thermal_headroom")) } ?: JSONObject.NULL)
        .put("low_power_mode", state.lowPowerMode ?: JSONObject.NULL)
        .put("battery_level", state.batteryLevel?.let { roundField("battery_level", finite(it, "battery_level")) } ?: JSONObject.NULL)
        .put("charging", state.charging ?: JSONObject.NULL)

    private fun finite(value: Double, key: String): Double = value.also { require(it.isFinite()) { "$key is not finite ($it)" } }

    /** A fractional field as the report stores it (see the class comment). */
    fun roundField(key: String, value: Double): Double =
        roundHalfEven(value, if (key.endsWith("_ms") || key.endsWith("_s")) 4 else 6)

    private fun machine(machine: Machine): JSONObject {
        val json = JSONObject()
        fun put(key: String, value: Any?) {
            json.put(key, value ?: JSONObject.NULL)
        }
        put("kind", machine.kind)
        put("name", machine.name)
        put("os", machine.os)
        put("os_version", machine.osVersion)
        put("cpu", machine.cpu)
        put("arch", machine.arch)
        put("cores", machine.cores)
        put("memory_bytes", machine.memoryBytes)
        put("manufacturer", machine.manufacturer)
        put("model", machine.model)
        machine.extra?.let { json.put("extra", jsonValue(it)) }
        return json
    }

    private fun protocol(protocol: Protocol): JSONObject = JSONObject()
        .put("name", protocol.name)
        .put("rounds", protocol.rounds)
        .put("iterations", protocol.iterations)
        .put("warmup", protocol.warmup)
        .put("trim", protocol.trim)
        .put("reload", protocol.reload)

    /** Free-form `extra` values: null, strings, booleans, numbers, lists and string-keyed maps. */
    private fun jsonValue(value: Any?): Any = when (value) {
        null -> JSONObject.NULL
        is String, is Boolean, is Int, is Long -> value
        is Double -> value.also { require(it.isFinite()) { "extra holds a non-finite number ($it)" } }
        is Float -> value.toDouble().also { require(it.isFinite()) { "extra holds a non-finite number ($it)" } }
        is Map<*, *> -> JSONObject().also { json ->
            value.forEach { (k, v) ->
                require(k is String) { "extra keys must be strings, got $k" }
                json.put(k, jsonValue(v))
            }
        }
        is Iterable<*> -> JSONArray().also { array -> value.forEach { array.put(jsonValue(it)) } }
        else -> throw IllegalArgumentException("extra cannot hold ${value::class.java.simpleName} ($value)")
    }
}
