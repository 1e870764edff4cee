package io.github.edgerep.core.artifact

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

class ArtifactMetadataTest {
    private val input = """{"name":"image","shape":[1,224,224,3],"layout":"NHWC","dtype":"float32","kind":"tensor"}"""

    private fun entries(vararg pairs: Pair<String, String>) = mapOf(*pairs).mapKeys { "edgerep.${it.key}" }

    @Test
    fun `a file without edgerep entries is foreign, not an error`() {
        assertNull(ArtifactMetadata.parse(mapOf("min_runtime_version" to "2.9.0"), "x.tflite"))
    }

    @Test
    fun `missing preprocessing means no mean and std, JSON null scalars read as absent`() {
        val meta = ArtifactMetadata.parse(entries("model" to "m", "input" to input, "macs" to "null", "family" to "null"), "m.tflite")!!
        assertNull(meta.input.mean)
        assertNull(meta.macs)
        assertNull(meta.family)
        assertEquals(false, meta.baseline)
    }

    @Test
    fun `malformed entries name the file and the entry`() {
        fun message(vararg pairs: Pair<String, String>) =
            assertThrows(IllegalArgumentException::class.java) { ArtifactMetadata.parse(entries(*pairs), "m.tflite") }.message!!
        assertTrue(message("input" to input).contains("m.tflite: metadata entry edgerep.model is missing"))
        assertTrue(message("model" to "m").contains("edgerep.input is missing"))
        assertTrue(message("model" to "m", "input" to "{not json").contains("edgerep.input is not a JSON object"))
        assertTrue(message("model" to "m", "input" to input, "macs" to "many").contains("edgerep.macs is not an integer"))
        assertTrue(message("model" to "m", "input" to input, "baseline" to "yes").contains("edgerep.baseline must be true or false"))
        assertTrue(message("model" to "m", "input" to """{"shape":[1,3,8,8],"layout":"HWC"}""").contains("layout must be NHWC or NCHW"))
    }
}
