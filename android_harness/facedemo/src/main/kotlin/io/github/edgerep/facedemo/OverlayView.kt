package io.github.edgerep.facedemo

import android.content.Context
import android.graphics.Canvas
import android.graphics.Color
import android.graphics.Paint
import android.graphics.RectF
import android.util.AttributeSet
import android.view.View
import io.github.edgerep.core.face.geometry.FillCenter
import java.util.Locale

/**
 * Draws over the camera preview: each face's box, its five landmarks (where the alignment takes
 * them from), name (or "unknown") and score, and a line of per-stage medians and FPS. Boxes go from frame coordinates to the screen through the core: the
 * frame's rotation and, for the front camera, its mirroring ([FrameReport.geometry]), then
 * `PreviewView`'s FILL_CENTER scaling ([FillCenter]); the forked demos that skip the mirroring draw
 * front-camera boxes on the wrong side.
 */
class OverlayView @JvmOverloads constructor(context: Context, attrs: AttributeSet? = null) : View(context, attrs) {
    @Volatile
    private var report: FrameReport? = null
    private var header: String = ""

    private val density = resources.displayMetrics.density
    private val known = stroke(Color.rgb(76, 175, 80))
    private val unknown = stroke(Color.rgb(255, 152, 0))
    private val label = Paint(Paint.ANTI_ALIAS_FLAG).apply { color = Color.WHITE; textSize = 16 * density }
    private val labelBackground = Paint().apply { color = Color.argb(160, 0, 0, 0) }
    private val hud = Paint(Paint.ANTI_ALIAS_FLAG).apply { color = Color.WHITE; textSize = 13 * density; typeface = android.graphics.Typeface.MONOSPACE }
    private val box = RectF()

    /** Shows [frame]; callable from any thread. */
    fun show(frame: FrameReport) {
        report = frame
        postInvalidate()
    }

    /** The first HUD line: model, delegate, gallery size, threshold. */
    fun setHeader(text: String) {
        header = text
        postInvalidate()
    }

    override fun onDraw(canvas: Canvas) {
        super.onDraw(canvas)
        val frame = report
        val lines = mutableListOf(header)
        if (frame != null && width > 0 && height > 0) {
            val screen = FillCenter(frame.geometry.viewWidth, frame.geometry.viewHeight, width, height)
            for (face in frame.faces) {
                val b = screen.box(frame.geometry.boxToView(face.face.box))
                box.set(b.left.toFloat(), b.top.toFloat(), b.right.toFloat(), b.bottom.toFloat())
                val match = face.match
                val paint = if (match.known) known else unknown
                canvas.drawRect(box, paint)
                for (p in face.face.landmarks.points) {
                    val dot = screen.point(frame.geometry.toView(p))
                    canvas.drawCircle(dot.x.toFloat(), dot.y.toFloat(), 2 * density, paint)
                }
                val score = match.score?.let { String.format(Locale.ROOT, " %.2f", it) } ?: ""
                drawLabel(canvas, (match.identity ?: "unknown") + score, box.left, box.top)
            }
            lines.add(latencyLine(frame))
            frame.status?.let { lines.add(it) }
        }
        var y = 24 * density
        for (line in lines.filter { it.isNotEmpty() }) {
            canvas.drawText(line, 8 * density, y, hud)
            y += hud.textSize * 1.3f
        }
    }

    private fun latencyLine(frame: FrameReport): String {
        fun ms(value: Double?) = value?.let { String.format(Locale.ROOT, "%.1f", it) } ?: "-"
        val l = frame.latency
        val fps = frame.fps?.let { String.format(Locale.ROOT, "%.1f", it) } ?: "-"
        return "detect ${ms(l.detectMs)} yuv ${ms(l.convertMs)} align ${ms(l.alignMs)} embed ${ms(l.embedMs)} match ${ms(l.matchMs)} ms  $fps FPS"
    }

    private fun drawLabel(canvas: Canvas, text: String, left: Float, top: Float) {
        val padding = 4 * density
        val bottom = maxOf(top, label.textSize + 2 * padding)
        canvas.drawRect(left, bottom - label.textSize - 2 * padding, left + label.measureText(text) + 2 * padding, bottom, labelBackground)
        canvas.drawText(text, left + padding, bottom - padding - label.descent(), label)
    }

    private fun stroke(color: Int) = Paint(Paint.ANTI_ALIAS_FLAG).apply {
        this.color = color
        style = Paint.Style.STROKE
        strokeWidth = 3 * density
    }
}
