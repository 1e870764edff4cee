package io.github.edgerep.core.face.geometry

import kotlin.math.max

/**
 * Where a point of an upright camera view ([imageWidth] x [imageHeight]) appears in a widget of
 * [widgetWidth] x [widgetHeight] pixels that shows it the way CameraX's `PreviewView` does by default
 * (`ScaleType.FILL_CENTER`): scaled uniformly until it covers the widget, centred, the overflow cropped.
 * The preview and the analysed frames must show the same field of view (the app asks both for 4:3).
 */
data class FillCenter(val imageWidth: Int, val imageHeight: Int, val widgetWidth: Int, val widgetHeight: Int) {
    init {
        require(imageWidth >= 1 && imageHeight >= 1) { "image size must be positive, got ${imageWidth}x$imageHeight" }
        require(widgetWidth >= 1 && widgetHeight >= 1) { "widget size must be positive, got ${widgetWidth}x$widgetHeight" }
    }

    val scale: Double get() = max(widgetWidth.toDouble() / imageWidth, widgetHeight.toDouble() / imageHeight)
    val offsetX: Double get() = (widgetWidth - imageWidth * scale) / 2.0
    val offsetY: Double get() = (widgetHeight - imageHeight * scale) / 2.0

    /** A point in pixel-centre view coordinates, in widget pixels (continuous). */
    fun point(p: Point): Point = Point((p.x + 0.5) * scale + offsetX, (p.y + 0.5) * scale + offsetY)

    /** A box in continuous view coordinates, in widget pixels. */
    fun box(b: Box): Box = Box(b.left * scale + offsetX, b.top * scale + offsetY, b.right * scale + offsetX, b.bottom * scale + offsetY)
}
