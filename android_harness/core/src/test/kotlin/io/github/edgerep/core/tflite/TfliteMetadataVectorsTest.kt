package io.github.edgerep.core.tflite

import io.github.edgerep.core.GoldenVectors
import io.github.edgerep.core.artifact.ArtifactMetadata
import io.github.edgerep.core.artifact.InputKind
import io.github.edgerep.core.artifact.Layout
import org.json.JSONObject
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.DynamicTest
import org.junit.jupiter.api.TestFactory
import java.nio.ByteBuffer
import java.util.Base64

/** tflite_metadata.json: flatbuffers built by edgerep's exporter, read by the core's own reader. */
class TfliteMetadataVectorsTest {

    @TestFactory
    fun `entries and artifact fields match edgerep`(): List<DynamicTest> =
        GoldenVectors.cases("tflite_metadata").filter { !it.has("error") }.map { case ->
            DynamicTest.dynamicTest(case.getString("name")) {
                val entries = TfliteMetadata.read(bytes(case))
                val expected = case.getJSONObject("expected")
                assertEquals(strings(expected.getJSONObject("entries")), entries)
                val artifact = ArtifactMetadata.parse(entries, case.getString("name"))
                if (expected.isNull("artifact")) {
                    assertNull(artifact)
                } else {
                    assertEquals(artifact(expected.getJSONObject("artifact")), artifact)
                }
            }
        }

    @TestFactory
    fun `files that are not TFLite or are cut short are refused`(): List<DynamicTest> =
        GoldenVectors.cases("tflite_metadata").filter { it.has("error") }.map { case ->
            DynamicTest.dynamicTest(case.getString("name")) {
                assertThrows(FlatBufferException::class.java) { TfliteMetadata.read(bytes(case)) }
            }
        }

    private fun bytes(case: JSONObject): ByteBuffer = ByteBuffer.wrap(Base64.getDecoder().decode(case.getString("tflite_base64")))

    private fun strings(json: JSONObject): Map<String, String> =
        json.keys().asSequence().associateWith { json.getString(it) }

    /** The expected fields, as the core's own types (so one assertEquals compares them all). */
    private fun artifact(json: JSONObject): ArtifactMetadata {
        val input = json.getJSONObject("input")
        fun doubles(key: String): List<Double>? = if (input.isNull(key)) null else input.getJSONArray(key).let { a ->
            List(a.length()) { a.getDouble(it) }
        }
        return ArtifactMetadata(
            model = json.getString("model"),
            family = if (json.isNull("family")) null else json.getString("family"),
            task = if (json.isNull("task")) null else json.getString("task"),
            baseline = json.getBoolean("baseline"),
            params = if (json.isNull("params")) null else json.getLong("params"),
            macs = if (json.isNull("macs")) null else json.getLong("macs"),
            precision = if (json.isNull("precision")) null else json.getString("precision"),
            input = io.github.edgerep.core.artifact.InputSpec(
                name = input.getString("name"),
                shape = input.getJSONArray("shape").let { a -> List(a.length()) { a.getInt(it) } },
                layout = Layout.valueOf(input.getString("layout")),
                kind = InputKind.valueOf(input.getString("kind").uppercase()),
                mean = doubles("mean"),
                std = doubles("std"),
            ),
        )
    }
}
