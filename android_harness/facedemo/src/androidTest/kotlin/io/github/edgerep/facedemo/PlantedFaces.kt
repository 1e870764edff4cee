package io.github.edgerep.facedemo

import io.github.edgerep.core.face.detect.DetectedFace
import io.github.edgerep.core.face.geometry.ArcFaceTemplate
import io.github.edgerep.core.face.geometry.Box
import io.github.edgerep.core.face.geometry.Point
import io.github.edgerep.core.face.image.RgbFrame
import kotlin.math.cos
import kotlin.math.sin

/**
 * Images generated at test time, with the landmarks of a face "planted" in them (the ArcFace template
 * turned, scaled and moved): no detector can find a face in them, but the rest of the pipeline (align,
 * embed, match) runs on them exactly as on a photo, and with known landmarks.
 */
object PlantedFaces {
    data class Planted(val name: String, val image: RgbFrame, val face: DetectedFace)

    fun make(name: String, seed: Int, degrees: Double, scale: Double, width: Int = 480, height: Int = 640): Planted {
        val image = RgbFrame.allocate(width, height)
        for (y in 0 until height) for (x in 0 until width) {
            val i = (y * width + x) * 3
            image.pixels[i] = ((seed * x + 3 * y) % 256).toByte()
            image.pixels[i + 1] = ((x * x / 7 + seed * y) % 256).toByte()
            image.pixels[i + 2] = ((250 - 5 * x + seed * y) % 256).toByte()
        }
        val (cx, cy) = width / 2.0 to height / 2.0
        val t = Math.toRadians(degrees)
        val landmarks = ArcFaceTemplate.points(112).map { p ->
            val (dx, dy) = p.x - 56.0 to p.y - 56.0
            Point(scale * (cos(t) * dx - sin(t) * dy) + cx, scale * (sin(t) * dx + cos(t) * dy) + cy)
        }
        val half = 56 * scale
        return Planted(name, image, DetectedFace(Box(cx - half, cy - half, cx + half, cy + half), landmarks))
    }
}
