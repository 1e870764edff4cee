package io.github.edgerep.core.face.geometry

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

/**
 * From a detector's box to the screen: ML Kit reports upright, unmirrored coordinates; the front
 * camera's preview is mirrored. The demos people fork draw those boxes unmirrored, on the wrong side.
 */
class OverlayMappingTest {
    // A typical portrait phone: 640x480 frames from a front sensor mounted at 270 degrees.
    private val upright = FrameGeometry(640, 480, rotation = 270, mirror = false)
    private val screen = FrameGeometry(640, 480, rotation = 270, mirror = true)

    @Test
    fun `a face on the subject's right side of an upright frame is drawn on the left of the mirrored preview`() {
        // ML Kit: a face at x 40..140 of the 480-wide upright (unmirrored) image, i.e. on the image's left.
        val detected = Box(40.0, 200.0, 140.0, 320.0)
        val inFrame = upright.boxToFrame(detected)
        val onScreen = screen.boxToView(inFrame)
        assertEquals(Box(480.0 - 140.0, 200.0, 480.0 - 40.0, 320.0), onScreen)
        val widget = FillCenter(screen.viewWidth, screen.viewHeight, widgetWidth = 1080, widgetHeight = 1440)
        assertTrue(widget.box(onScreen).left > 1080 / 2.0, "drawn at ${widget.box(onScreen)}")
    }

    @Test
    fun `boxes map with continuous edges, so the whole frame maps onto the whole view`() {
        for (rotation in FrameGeometry.ROTATIONS) for (mirror in listOf(false, true)) {
            val g = FrameGeometry(640, 480, rotation, mirror)
            assertEquals(Box(0.0, 0.0, g.viewWidth.toDouble(), g.viewHeight.toDouble()), g.boxToView(Box(0.0, 0.0, 640.0, 480.0)))
            val box = Box(10.0, 20.0, 110.0, 60.0)
            assertEquals(box, g.boxToFrame(g.boxToView(box)), "rotation $rotation mirror $mirror")
        }
    }

    @Test
    fun `the back camera's boxes are not mirrored`() {
        val back = FrameGeometry(640, 480, rotation = 90, mirror = false)
        val detected = Box(40.0, 200.0, 140.0, 320.0)
        assertEquals(detected, back.boxToView(back.boxToFrame(detected)))
    }

    @Test
    fun `fill-center covers the widget and crops the overflow evenly`() {
        val fill = FillCenter(imageWidth = 480, imageHeight = 640, widgetWidth = 1080, widgetHeight = 2160)
        assertEquals(3.375, fill.scale)
        val whole = fill.box(Box(0.0, 0.0, 480.0, 640.0))
        assertEquals(0.0, whole.top)
        assertEquals(2160.0, whole.bottom)
        assertEquals(-(480 * 3.375 - 1080) / 2, whole.left)
        assertEquals(1080.0 - whole.left, whole.right)
        assertEquals(Point(540.0, 1080.0), fill.point(Point(239.5, 319.5)), "the centre pixel lands in the widget's centre")
    }
}
