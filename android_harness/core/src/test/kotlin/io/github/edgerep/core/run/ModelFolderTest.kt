package io.github.edgerep.core.run

import io.github.edgerep.core.GoldenVectors
import io.github.edgerep.core.launch.LaunchArgumentException
import io.github.edgerep.core.launch.LaunchOptions
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import java.io.File
import java.nio.file.Files
import java.time.Instant
import java.util.Base64

/** A models folder holding the golden vectors' real .tflite bytes (edgerep-exported metadata). */
class ModelFolderTest {
    private val dir: File = Files.createTempDirectory("edgerep-models").toFile()
    private val folder = ModelFolder(dir)

    init {
        val cases = GoldenVectors.cases("tflite_metadata").associateBy { it.getString("name") }
        fun put(case: String, file: String) =
            File(dir, file).writeBytes(Base64.getDecoder().decode(cases.getValue(case).getString("tflite_base64")))
        put("classifier_nhwc_tensor", "fastvit_t8.tflite")
        put("face_baseline_nchw_raw", "edgeface_xs_gamma_06.tflite")
        put("foreign_model", "someone_elses.tflite")
        File(dir, "notes.txt").writeText("not a model")
    }

    @AfterEach
    fun cleanUp() {
        dir.deleteRecursively()
    }

    @Test
    fun `artifacts are read with their metadata, foreign ones by file name`() {
        val artifacts = folder.artifacts()
        assertEquals(listOf("edgeface_xs_gamma_06", "fastvit_t8", "someone_elses"), artifacts.map { it.model })
        assertEquals(listOf(true, false, null), artifacts.map { it.metadata?.baseline })
    }

    @Test
    fun `a suite finds its baseline in the folder`() {
        val plan = folder.plan(LaunchOptions.parse("--suite=face"))
        assertEquals(listOf("edgeface_xs_gamma_06"), plan.map { it.model })
        val error = assertThrows(LaunchArgumentException::class.java) {
            folder.plan(LaunchOptions.parse("--suite=imagenet --models=fastvit_t8.tflite"))
        }
        assertTrue(error.message!!.contains("mobileone_s0"), error.message)
    }

    @Test
    fun `a model that was not pushed names what the folder holds`() {
        val error = assertThrows(LaunchArgumentException::class.java) { folder.resolve("mobileone_s0.tflite") }
        assertTrue(error.message!!.contains("edgeface_xs_gamma_06.tflite, fastvit_t8.tflite, someone_elses.tflite"), error.message)
        assertTrue(error.message!!.contains("adb push mobileone_s0.tflite"), error.message)
    }

    @Test
    fun `default report names sort by time`() {
        assertEquals("edgerep-android-20261130-101500.json", ModelFolder.defaultReportName(Instant.parse("2026-11-30T10:15:00Z")))
    }
}
