package io.github.edgerep.core.face.geometry

/**
 * A camera frame of [width] x [height] (as the sensor delivers it, before rotation) and its *view*:
 * the frame turned [rotation] degrees clockwise to be upright (Android's
 * `ImageInfo.getRotationDegrees()`), then mirrored left-right when [mirror] (the front camera's
 * preview). edgerep.facecore.frames is the reference (golden vectors `landmarks`). Points use
 * pixel-centre coordinates, so a point maps exactly as the pixel under it:
 *
 * ```
 * rotation   0: (x, y) -> (x, y)                  view width x height
 * rotation  90: (x, y) -> (height - 1 - y, x)     view height x width
 * rotation 180: (x, y) -> (width - 1 - x, height - 1 - y)
 * rotation 270: (x, y) -> (y, width - 1 - x)
 * then, mirrored: x -> viewWidth - 1 - x
 * ```
 *
 * ML Kit reports points in the upright view *without* mirroring (`mirror = false`): map them to the
 * frame with that geometry, and from the frame to the on-screen view with the front camera's.
 */
data class FrameGeometry(val width: Int, val height: Int, val rotation: Int = 0, val mirror: Boolean = false) {
    init {
        require(width >= 1 && height >= 1) { "frame size must be positive, got ${width}x$height" }
        require(rotation in ROTATIONS) {
            "rotation $rotation is not supported; allowed: 0, 90, 180, 270 (degrees clockwise)"
        }
    }

    val viewWidth: Int get() = if (rotation == 90 || rotation == 270) height else width
    val viewHeight: Int get() = if (rotation == 90 || rotation == 270) width else height

    fun toView(p: Point): Point {
        val rotated = rotate(p, width, height, rotation)
        return if (mirror) Point((viewWidth - 1) - rotated.x, rotated.y) else rotated
    }

    fun toFrame(p: Point): Point {
        val unmirrored = if (mirror) Point((viewWidth - 1) - p.x, p.y) else p
        return rotate(unmirrored, viewWidth, viewHeight, (360 - rotation) % 360)
    }

    /** Landmarks of the frame in the view, still in template order (sides swapped when mirrored). */
    fun landmarksToView(landmarks: Landmarks): Landmarks {
        val mapped = landmarks.map(::toView)
        return if (mirror) mapped.swappedSides() else mapped
    }

    /** The inverse of [landmarksToView]. */
    fun landmarksToFrame(landmarks: Landmarks): Landmarks =
        (if (mirror) landmarks.swappedSides() else landmarks).map(::toFrame)

    /** A box of the frame (continuous edges) in the view. */
    fun boxToView(box: Box): Box = Box.spanning(edgeToView(Point(box.left, box.top)), edgeToView(Point(box.right, box.bottom)))

    /** A box of the view (continuous edges) in the frame. */
    fun boxToFrame(box: Box): Box = Box.spanning(edgeToFrame(Point(box.left, box.top)), edgeToFrame(Point(box.right, box.bottom)))

    // Continuous coordinates are pixel-centre ones shifted by half a pixel: map the centre, shift back.
    private fun edgeToView(p: Point): Point = toView(Point(p.x - 0.5, p.y - 0.5)).let { Point(it.x + 0.5, it.y + 0.5) }

    private fun edgeToFrame(p: Point): Point = toFrame(Point(p.x - 0.5, p.y - 0.5)).let { Point(it.x + 0.5, it.y + 0.5) }

    companion object {
        val ROTATIONS: List<Int> = listOf(0, 90, 180, 270)

        private fun rotate(p: Point, width: Int, height: Int, rotation: Int): Point = when (rotation) {
            90 -> Point((height - 1) - p.y, p.x)
            180 -> Point((width - 1) - p.x, (height - 1) - p.y)
            270 -> Point(p.y, (width - 1) - p.x)
            else -> p
        }
    }
}
