package io.github.edgerep.core.face.geometry

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import kotlin.math.abs

/**
 * ML Kit names landmarks by the subject's sides. A face exactly at the template, seen unmirrored:
 * the subject's left eye is on the image's right (x = 73.5), so ordered for the template the fit must
 * be the identity; taking ML Kit's LEFT_EYE as the "left" template point would instead fit a face
 * turned inside out.
 */
class SubjectLandmarksTest {
    private val template = ArcFaceTemplate.points(112)

    // What ML Kit reports for that face: LEFT_EYE / MOUTH_LEFT are the subject's, on the image's right.
    private val mlKit = SubjectLandmarks(
        leftEye = template[1],
        rightEye = template[0],
        nose = template[2],
        mouthLeft = template[4],
        mouthRight = template[3],
    )

    @Test
    fun `subject sides map to the template's image sides`() {
        val ordered = mlKit.toTemplateOrder()
        assertEquals(template, ordered)
        val m = SimilarityFit.toTemplate(ordered, 112)
        assertTrue(abs(m.a - 1.0) < 1e-12 && abs(m.b) < 1e-12 && abs(m.c) < 1e-9 && abs(m.f) < 1e-9, m.toString())
    }

    @Test
    fun `the naive order fits badly`() {
        val naive = Landmarks(listOf(mlKit.leftEye, mlKit.rightEye, mlKit.nose, mlKit.mouthLeft, mlKit.mouthRight))
        val m = SimilarityFit.toTemplate(naive, 112)
        val worst = naive.points.indices.maxOf { i ->
            val p = m.apply(naive[i])
            kotlin.math.hypot(p.x - template[i].x, p.y - template[i].y)
        }
        assertTrue(worst > 10.0, "a swapped face lands within $worst px of the template")
    }

    @Test
    fun `in a mirrored view the sides swap back`() {
        // The same face shown mirrored (front-camera preview of a 112-wide frame): landmarksToView keeps template order.
        val geometry = FrameGeometry(112, 112, rotation = 0, mirror = true)
        val view = geometry.landmarksToView(mlKit.toTemplateOrder())
        assertTrue(view[0].x < view[1].x && view[3].x < view[4].x, "eye on the image's left first: $view")
    }
}
