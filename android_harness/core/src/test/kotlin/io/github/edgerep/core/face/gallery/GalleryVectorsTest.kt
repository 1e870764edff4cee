package io.github.edgerep.core.face.gallery

import io.github.edgerep.core.face.FaceVectors
import org.json.JSONObject
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.DynamicTest
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestFactory

/**
 * gallery.json: a gallery written by `edgerep face enroll` loads in the Kotlin core and identifies
 * the same people; documents edgerep refuses are refused here, naming the same field.
 */
class GalleryVectorsTest {
    private val gallery = GalleryJson.parse(GoldenGallery.text, "gallery.json")

    @Test
    fun `the enrolled document loads with everything it records`() {
        assertEquals(listOf("ada", "grace", "zo\u00eb"), gallery.names)
        assertEquals(listOf(3, 2, 1), gallery.identities.map { it.embeddings.size })
        assertEquals(listOf("ada/0.jpg", "ada/1.jpg", "ada/2.jpg"), gallery.identities[0].sources)
        assertEquals(0.35, gallery.threshold)
        assertEquals(
            EmbeddingSpec("edgeface_xs_gamma_06", 512, runtime = "onnxruntime", precision = "fp32", artifactSha256 = GoldenGallery.sha256),
            gallery.spec,
        )
    }

    @TestFactory
    fun `probes are identified as edgerep identified them`(): List<DynamicTest> {
        val probes = GoldenGallery.case.getJSONArray("probes")
        return List(probes.length()) { p ->
            DynamicTest.dynamicTest("probe $p") {
                val probe = probes.getJSONObject(p)
                val expected = probe.getJSONObject("expected")
                val match = gallery.identify(FaceVectors.embedding(probe.getJSONArray("embedding")))
                assertEquals(FaceVectors.stringOrNull(expected, "identity"), match.identity)
                assertEquals(FaceVectors.stringOrNull(expected, "best"), match.best)
                FaceVectors.assertNear(expected.getDouble("score"), match.score!!, 1e-12, "score")
                val scores = FaceVectors.doubles(expected.getJSONArray("scores"))
                for (k in scores.indices) FaceVectors.assertNear(scores[k], match.scores[k].second, 1e-12, "score $k")
            }
        }
    }

    @TestFactory
    fun `invalid documents are refused, naming the field`(): List<DynamicTest> {
        val invalid = GoldenGallery.case.getJSONArray("invalid")
        return List(invalid.length()) { i ->
            val case = invalid.getJSONObject(i)
            DynamicTest.dynamicTest(case.getString("name")) {
                val thrown = assertThrows(GalleryException::class.java) { GalleryJson.parse(case.getString("text"), "bad.json") }
                val field = case.getString("field")
                assertTrue(thrown.problems.any { it.path == field }, "${thrown.problems} does not name $field")
                assertTrue(thrown.message!!.startsWith("invalid gallery bad.json: ") && thrown.message!!.contains(field), thrown.message)
            }
        }
    }

    @Test
    fun `stored numbers are float32-shortest decimals, as edgerep picks them`() {
        var count = 0
        for (identity in gallery.identities) for (e in identity.embeddings) for (k in 0 until e.size) {
            assertEquals(e[k], Float32Text.shortest(e[k]), "${identity.name}[$k]")
            count++
        }
        assertEquals(6 * 512, count)
    }

    @Test
    fun `written and read back, a gallery is the same gallery`() {
        val again = GalleryJson.parse(GalleryJson.encode(gallery), "again.json")
        assertEquals(gallery, again)
        val doc = JSONObject(GalleryJson.encode(gallery))
        assertEquals(JSONObject(GoldenGallery.text).keySet(), doc.keySet(), "the same fields as edgerep writes")
    }

    @Test
    fun `not JSON, not an object, trailing text and wrong types are one clear line`() {
        for ((text, what) in listOf("{" to "not valid JSON", "[1, 2]" to "expected a JSON object", "$GALLERY_HEAD} x" to "not valid JSON")) {
            val thrown = assertThrows(GalleryException::class.java) { GalleryJson.parse(text, "g.json") }
            assertTrue(thrown.message!!.contains(what), thrown.message)
            assertEquals(1, thrown.message!!.lines().size)
        }
        val doc = JSONObject(GoldenGallery.text)
        doc.put("embedding_size", "512").getJSONObject("normalization").put("flip_sum", "no")
        val thrown = assertThrows(GalleryException::class.java) { GalleryJson.parse(doc.toString(), "g.json") }
        assertEquals(setOf("embedding_size", "normalization.flip_sum"), thrown.problems.map { it.path }.toSet())
    }

    private companion object {
        val GALLERY_HEAD = GoldenGallery.text.trimEnd().removeSuffix("}")
    }
}
