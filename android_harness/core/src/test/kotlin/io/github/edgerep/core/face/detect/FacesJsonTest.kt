package io.github.edgerep.core.face.detect

import io.github.edgerep.core.face.geometry.Box
import io.github.edgerep.core.face.geometry.Landmarks
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

/** Landmarks given as JSON, in the forms `edgerep face ... --landmarks-json` reads. */
class FacesJsonTest {
    private val points = "[[189.71, 238.02], [258.46, 236.9], [225.13, 277.38], [196.05, 312.77], [252.9, 311.44]]"
    private val landmarks = Landmarks.of(189.71, 238.02, 258.46, 236.9, 225.13, 277.38, 196.05, 312.77, 252.9, 311.44)

    @Test
    fun `edgerep face detect --json output`() {
        val text = """{"image": "a.jpg", "width": 512, "height": 512, "detector": "mtcnn", "faces": [
            {"box": [150.0, 180.0, 300.0, 370.0], "score": 0.99, "landmarks": $points},
            {"box": [10, 10, 40, 50], "score": 0.9, "landmarks": $points}]}"""
        val faces = FacesJson.parse(text, "a.jpg.json")
        assertEquals(2, faces.size)
        assertEquals(DetectedFace(Box(150.0, 180.0, 300.0, 370.0), landmarks, 0.99), faces[0])
        assertEquals(faces[0], DetectedFace.largest(faces))
    }

    @Test
    fun `a bare list of points gets their bounding box`() {
        val face = FacesJson.parse(points, "p.json").single()
        assertEquals(Box(189.71, 236.9, 258.46, 312.77), face.box)
        assertEquals(landmarks, FacesJson.parse("[189.71, 238.02, 258.46, 236.9, 225.13, 277.38, 196.05, 312.77, 252.9, 311.44]", "p.json").single().landmarks)
    }

    @Test
    fun `malformed landmarks name the file`() {
        val thrown = assertThrows(IllegalArgumentException::class.java) { FacesJson.parse("""{"landmarks": [[1, 2], [3, 4]]}""", "p.json") }
        assertTrue(thrown.message!!.startsWith("p.json: face 0"), thrown.message)
        assertThrows(IllegalArgumentException::class.java) { FacesJson.parse("""{"faces": 3}""", "p.json") }
    }
}
