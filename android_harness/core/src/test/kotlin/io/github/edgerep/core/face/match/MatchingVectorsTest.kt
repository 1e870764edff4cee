package io.github.edgerep.core.face.match

import io.github.edgerep.core.GoldenVectors
import io.github.edgerep.core.face.FaceVectors
import org.json.JSONObject
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.DynamicTest
import org.junit.jupiter.api.TestFactory

/**
 * matching.json: centroids and scores to 1e-12 (numpy may sum in another order), decisions exactly:
 * identity, best, ties to the first, strict threshold.
 */
class MatchingVectorsTest {
    private val cases = GoldenVectors.cases("matching")

    private fun gallery(case: JSONObject): Pair<List<String>, List<Embedding>> {
        val people = case.getJSONArray("gallery")
        val names = List(people.length()) { people.getJSONObject(it).getString("name") }
        val centroids = List(people.length()) { i ->
            val embeddings = people.getJSONObject(i).getJSONArray("embeddings")
            Matching.centroid(List(embeddings.length()) { FaceVectors.embedding(embeddings.getJSONArray(it)) }, names[i])
        }
        return names to centroids
    }

    @TestFactory
    fun `probes get edgerep's identity, best and scores`(): List<DynamicTest> =
        cases.filter { it.has("probes") }.map { case ->
            DynamicTest.dynamicTest(case.getString("name")) {
                val (names, centroids) = gallery(case)
                val expectedCentroids = case.getJSONArray("centroids")
                for ((i, c) in centroids.withIndex()) {
                    val e = FaceVectors.doubles(expectedCentroids.getJSONArray(i))
                    for (k in e.indices) FaceVectors.assertNear(e[k], c[k], 1e-12, "centroid $i[$k]")
                }
                val probes = case.getJSONArray("probes")
                for (p in 0 until probes.length()) {
                    val probe = probes.getJSONObject(p)
                    val expected = probe.getJSONObject("expected")
                    val match = Matching.identify(FaceVectors.embedding(probe.getJSONArray("embedding")), names, centroids, case.getDouble("threshold"))
                    assertEquals(FaceVectors.stringOrNull(expected, "identity"), match.identity, "identity of probe $p")
                    assertEquals(FaceVectors.stringOrNull(expected, "best"), match.best, "best of probe $p")
                    if (expected.isNull("score")) assertNull(match.score) else FaceVectors.assertNear(expected.getDouble("score"), match.score!!, 1e-12, "score of probe $p")
                    val scores = FaceVectors.doubles(expected.getJSONArray("scores"))
                    assertEquals(names, match.scores.map { it.first })
                    for (k in scores.indices) FaceVectors.assertNear(scores[k], match.scores[k].second, 1e-12, "score $k of probe $p")
                }
            }
        }

    @TestFactory
    fun `pairs are the same person above the threshold, strictly`(): List<DynamicTest> =
        cases.filter { it.has("pairs") }.flatMap { case ->
            val pairs = case.getJSONArray("pairs")
            List(pairs.length()) { i ->
                val pair = pairs.getJSONObject(i)
                DynamicTest.dynamicTest(pair.getString("name")) {
                    val score = Matching.cosine(FaceVectors.embedding(pair.getJSONArray("a")), FaceVectors.embedding(pair.getJSONArray("b")))
                    val expected = pair.getJSONObject("expected")
                    FaceVectors.assertNear(expected.getDouble("score"), score, 1e-12, "score")
                    assertEquals(expected.getBoolean("same"), Matching.samePerson(score, pair.getDouble("threshold")))
                }
            }
        }

    @TestFactory
    fun `zero vectors, other sizes and impossible thresholds are refused`(): List<DynamicTest> =
        cases.filter { it.has("error") }.map { case ->
            DynamicTest.dynamicTest(case.getString("name")) {
                val thrown = assertThrows(IllegalArgumentException::class.java) {
                    val (names, centroids) = gallery(case)
                    Matching.identify(FaceVectors.embedding(case.getJSONArray("probe")), names, centroids, case.getDouble("threshold"))
                }
                val expected = when (case.getString("error")) {
                    "zero" -> "all-zero"
                    "dimension" -> "another model"
                    "threshold" -> "[-1, 1]"
                    else -> throw AssertionError("unknown error kind ${case.getString("error")}")
                }
                assertTrue(thrown.message!!.contains(expected), thrown.message)
            }
        }
}
