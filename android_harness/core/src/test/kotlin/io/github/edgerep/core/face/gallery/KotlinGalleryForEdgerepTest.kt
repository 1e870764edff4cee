package io.github.edgerep.core.face.gallery

import io.github.edgerep.core.face.FaceVectors
import io.github.edgerep.core.report.writeAtomically
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test
import java.io.File

/**
 * A gallery the phone would write after importing edgerep's and editing it (rename, delete, enroll
 * from the camera). core/test.sh hands the file (system property `edgerep.gallery.out`) to edgerep's
 * own `Gallery.load`, which must accept it and identify the golden probes as this core does; with
 * `--update-fixture` it becomes tests/fixtures/kotlin_core_gallery.json for the Python suite.
 */
class KotlinGalleryForEdgerepTest {

    @Test
    fun `an edited gallery written by the core`() {
        val probes = GoldenGallery.case.getJSONArray("probes")
        fun probe(i: Int) = FaceVectors.embedding(probes.getJSONObject(i).getJSONArray("embedding"))
        val edited = GalleryJson.parse(GoldenGallery.text, "gallery.json")
            .rename("ada", "ada lovelace")
            .delete("grace")
            .enroll("marie curie", listOf(probe(2)), listOf("camera 2026-11-30T10:15:00Z shot 1"))
            .enroll("zo\u00eb", listOf(probe(1)), listOf("camera 2026-11-30T10:16:00Z shot 1"))
            .withThreshold(0.3)
        val text = GalleryJson.encode(edited)
        val again = GalleryJson.parse(text, "kotlin.json")
        assertEquals(edited, again)
        assertEquals(listOf("ada lovelace", "marie curie", "zo\u00eb", null), (3 downTo 0).map { again.identify(probe(it)).identity })
        System.getProperty("edgerep.gallery.out")?.let { writeAtomically(File(it), text, overwrite = true) }
    }
}
