package io.github.edgerep.core.face.gallery

import io.github.edgerep.core.GoldenVectors
import io.github.edgerep.core.face.model.FaceArtifact
import io.github.edgerep.core.face.model.Sha256
import org.json.JSONObject

/**
 * gallery.json's document (exactly what `edgerep face enroll` writes) and a model file it fits:
 * edgeface_xs_gamma_06 with the golden vectors' artifact sha256 (sha256 of the bytes
 * "edgerep golden vector artifact").
 */
object GoldenGallery {
    val case: JSONObject = GoldenVectors.cases("gallery").single()
    val text: String = case.getString("text")
    val sha256: String = Sha256.of("edgerep golden vector artifact".byteInputStream())

    /** The face model of tflite_metadata.json (edgeface_xs_gamma_06, NCHW raw 112 input), as if its file had [sha]. */
    fun artifact(sha: String = sha256): FaceArtifact {
        val face = GoldenVectors.cases("tflite_metadata").single { it.getString("name") == "face_baseline_nchw_raw" }
        val entries = face.getJSONObject("expected").getJSONObject("entries")
        val map = entries.keys().asSequence().associateWith { entries.getString(it) }
        return FaceArtifact.parse(map, "edgeface_xs_gamma_06.tflite", sha, outputSize = 512)
    }
}
