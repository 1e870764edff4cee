package io.github.edgerep.core

import org.json.JSONArray
import org.json.JSONObject
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import kotlin.math.abs
import kotlin.math.max

/**
 * The golden vectors edgerep writes (`python -m tools.conformance`), committed under
 * src/test/resources/vectors; a Python test fails when these copies drift from edgerep.
 */
object GoldenVectors {
    fun section(name: String): JSONObject {
        val stream = GoldenVectors::class.java.getResourceAsStream("/vectors/$name.json")
            ?: error("vectors/$name.json is not on the test classpath (regenerate: python -m tools.conformance --harnesses)")
        val doc = JSONObject(stream.bufferedReader(Charsets.UTF_8).use { it.readText() })
        assertEquals("edgerep.vectors/1", doc.getString("schema"))
        assertEquals(name, doc.getString("section"))
        return doc
    }

    fun cases(name: String): List<JSONObject> = section(name).getJSONArray("cases").let { array ->
        List(array.length()) { array.getJSONObject(it) }
    }

    fun rounds(array: JSONArray): List<List<Double>> = List(array.length()) { i ->
        val round = array.getJSONArray(i)
        List(round.length()) { round.getDouble(it) }
    }

    fun doubleOrNull(json: JSONObject, key: String): Double? = if (json.isNull(key)) null else json.getDouble(key)

    fun longOrNull(json: JSONObject, key: String): Long? = if (json.isNull(key)) null else json.getLong(key)

    /** Equal, or within a relative 1e-12 (the contract: statistics agree to the last bits). */
    fun assertClose(expected: Double?, actual: Double?, what: String) {
        if (expected == null || actual == null) {
            assertEquals(expected, actual, what)
            return
        }
        val scale = max(abs(expected), abs(actual))
        assertTrue(expected == actual || abs(expected - actual) <= 1e-12 * scale) {
            "$what: expected $expected, got $actual"
        }
    }
}
