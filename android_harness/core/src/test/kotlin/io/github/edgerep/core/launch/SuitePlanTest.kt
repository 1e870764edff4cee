package io.github.edgerep.core.launch

import io.github.edgerep.core.artifact.Artifact
import io.github.edgerep.core.artifact.ArtifactMetadata
import io.github.edgerep.core.artifact.InputKind
import io.github.edgerep.core.artifact.InputSpec
import io.github.edgerep.core.artifact.Layout
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import java.io.File

class SuitePlanTest {
    private fun artifact(model: String, family: String, task: String, baseline: Boolean, macs: Long) = Artifact(
        File("/models/$model.tflite"),
        ArtifactMetadata(
            model, family, task, baseline, params = 1, macs = macs, precision = "fp32",
            input = InputSpec("image", listOf(1, 224, 224, 3), Layout.NHWC, InputKind.TENSOR, null, null),
        ),
    )

    private val t8 = artifact("fastvit_t8", "fastvit", "classification", false, 685_000_000)
    private val repnext = artifact("repnext_m1", "repnext", "classification", false, 800_000_000)
    private val s1 = artifact("mobileone_s1", "mobileone", "classification", true, 825_000_000)
    private val s0 = artifact("mobileone_s0", "mobileone", "classification", true, 275_000_000)
    private val edgeface = artifact("edgeface_xs_gamma_06", "edgeface", "face-embedding", true, 154_000_000)
    private val facelivt = artifact("facelivt_s", "facelivt", "face-embedding", false, 300_000_000)
    private val folder = listOf(s1, edgeface, repnext, t8, facelivt, s0)

    private fun plan(args: String, requested: List<Artifact>) = SuitePlan.resolve(LaunchOptions.parse(args), requested, folder)

    @Test
    fun `without a suite only the requested models run`() {
        assertEquals(listOf(t8), plan("--models=fastvit_t8.tflite", listOf(t8)))
    }

    @Test
    fun `a suite adds its baselines, cheapest first, after the models under test`() {
        assertEquals(listOf(t8, s0, s1), plan("--suite=imagenet --models=fastvit_t8.tflite", listOf(t8)))
        assertEquals(listOf(facelivt, edgeface), plan("--suite=face", emptyList()))
    }

    @Test
    fun `a suite alone runs every model of its task, family by family`() {
        assertEquals(listOf(t8, repnext, s0, s1), plan("--suite=imagenet", emptyList()))
    }

    @Test
    fun `a missing baseline or a model of another task is explained`() {
        val noBaselines = listOf(t8, facelivt)
        val error = assertThrows(LaunchArgumentException::class.java) {
            SuitePlan.resolve(LaunchOptions.parse("--suite=imagenet"), emptyList(), noBaselines)
        }
        assertTrue(error.message!!.contains("edgerep export mobileone_s0 --target tflite"), error.message)
        val wrongTask = assertThrows(LaunchArgumentException::class.java) { plan("--suite=face --models=fastvit_t8.tflite", listOf(t8)) }
        assertTrue(wrongTask.message!!.contains("fastvit_t8.tflite is a classification model"), wrongTask.message)
    }
}
