package io.github.edgerep.core.face.detect

import io.github.edgerep.core.face.geometry.Box
import io.github.edgerep.core.face.geometry.Landmarks

/**
 * A face a detector found, in the coordinates of the image it ran on (for camera frames: the frame as
 * the sensor delivered it, see [io.github.edgerep.core.face.geometry.FrameGeometry]): its [box]
 * (continuous edges), its [landmarks] in template order, a [score] in [0, 1] and, when the detector
 * tracks faces across frames, a [trackingId].
 */
data class DetectedFace(val box: Box, val landmarks: Landmarks, val score: Double = 1.0, val trackingId: Int? = null) {
    companion object {
        /** The largest face (the subject of a portrait or an enrollment shot), as edgerep's `largest`. */
        fun largest(faces: List<DetectedFace>): DetectedFace? =
            faces.maxWithOrNull(compareBy<DetectedFace> { it.box.area }.thenBy { it.score })
    }
}
