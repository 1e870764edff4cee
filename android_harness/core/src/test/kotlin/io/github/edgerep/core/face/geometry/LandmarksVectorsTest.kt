package io.github.edgerep.core.face.geometry

import io.github.edgerep.core.GoldenVectors
import io.github.edgerep.core.face.FaceVectors
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.DynamicTest
import org.junit.jupiter.api.TestFactory

/** landmarks.json: frame <-> view mapping, exact (the rules are integer offsets and swaps). */
class LandmarksVectorsTest {
    private val cases = GoldenVectors.cases("landmarks")

    @TestFactory
    fun `points and landmarks map to the view and back exactly`(): List<DynamicTest> =
        cases.filter { !it.has("error") }.map { case ->
            DynamicTest.dynamicTest(case.getString("name")) {
                val geometry = FrameGeometry(case.getInt("width"), case.getInt("height"), case.getInt("rotation"), case.getBoolean("mirror"))
                val size = case.getJSONArray("view_size")
                assertEquals(listOf(size.getInt(0), size.getInt(1)), listOf(geometry.viewWidth, geometry.viewHeight))
                val points = FaceVectors.points(case.getJSONArray("points"))
                val view = points.map(geometry::toView)
                assertEquals(FaceVectors.points(case.getJSONArray("view_points")), view)
                assertEquals(points, view.map(geometry::toFrame))
                val landmarks = FaceVectors.landmarks(case.getJSONArray("landmarks"))
                val viewLandmarks = geometry.landmarksToView(landmarks)
                assertEquals(FaceVectors.landmarks(case.getJSONArray("view_landmarks")), viewLandmarks)
                assertEquals(landmarks, geometry.landmarksToFrame(viewLandmarks))
            }
        }

    @TestFactory
    fun `other rotations are refused`(): List<DynamicTest> =
        cases.filter { it.has("error") }.map { case ->
            DynamicTest.dynamicTest(case.getString("name")) {
                val thrown = assertThrows(IllegalArgumentException::class.java) {
                    FrameGeometry(case.getInt("width"), case.getInt("height"), case.getInt("rotation"), case.getBoolean("mirror"))
                }
                assertTrue(thrown.message!!.contains("0, 90, 180, 270"), thrown.message)
            }
        }
}
