package io.github.edgerep.core.face.model

import io.github.edgerep.core.GoldenVectors
import io.github.edgerep.core.artifact.InputKind
import io.github.edgerep.core.artifact.Layout
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

/** The face model as its edgerep metadata describes it (entries read from flatbuffers edgerep wrote). */
class FaceArtifactTest {
    private val sha = "b".repeat(64)

    private fun entries(case: String): Map<String, String> {
        val json = GoldenVectors.cases("tflite_metadata").single { it.getString("name") == case }.getJSONObject("expected").getJSONObject("entries")
        return json.keys().asSequence().associateWith { json.getString(it) }
    }

    @Test
    fun `an edgerep face export gives its input, size and spec`() {
        val face = FaceArtifact.parse(entries("face_baseline_nchw_raw"), "edgeface.tflite", sha, outputSize = 512)
        assertEquals("edgeface_xs_gamma_06", face.model)
        assertEquals(112, face.cropSize)
        assertEquals(Layout.NCHW, face.metadata.input.layout)
        assertEquals(InputKind.RAW, face.metadata.input.kind)
        val spec = face.spec("litert")
        assertEquals(listOf("edgeface_xs_gamma_06", "fp16", sha, "litert"), listOf(spec.model, spec.precision, spec.artifactSha256, spec.runtime))
        assertEquals(listOf(0.5, 0.5, 0.5), spec.mean, "raw input: the graph normalizes with FaceLiVT's and EdgeFace's 0.5")
    }

    @Test
    fun `the metadata's output size wins and must agree with the runtime's`() {
        val withOutput = entries("face_baseline_nchw_raw") + ("edgerep.output" to "{\"name\":\"embedding\",\"shape\":[1,512],\"l2_normalized\":false}")
        assertEquals(512, FaceArtifact.parse(withOutput, "f.tflite", sha).embeddingSize)
        val thrown = assertThrows(IllegalArgumentException::class.java) { FaceArtifact.parse(withOutput, "f.tflite", sha, outputSize = 256) }
        assertTrue(thrown.message!!.contains("outputs 256"), thrown.message)
    }

    @Test
    fun `classifiers and foreign models are refused with the fix`() {
        val classifier = assertThrows(IllegalArgumentException::class.java) {
            FaceArtifact.parse(entries("classifier_nhwc_tensor"), "fastvit_t8.tflite", sha, 1000)
        }
        assertTrue(classifier.message!!.contains("a classification model, not a face-embedding one"), classifier.message)
        val foreign = assertThrows(IllegalArgumentException::class.java) { FaceArtifact.parse(entries("foreign_model"), "x.tflite", sha, 128) }
        assertTrue(foreign.message!!.contains("edgerep export facelivt_s --target tflite"), foreign.message)
    }

    @Test
    fun `sha256 is the standard digest`() {
        // FIPS 180-2 example: sha256("abc").
        assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", Sha256.of("abc".byteInputStream()))
    }
}
