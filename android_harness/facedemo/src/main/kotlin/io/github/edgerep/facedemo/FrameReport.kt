package io.github.edgerep.facedemo

import io.github.edgerep.core.face.geometry.FrameGeometry
import io.github.edgerep.core.face.pipeline.RecognizedFace
import io.github.edgerep.core.face.pipeline.StageLatency

/**
 * What the overlay draws for one analysed frame: the faces (frame coordinates) and the frame's
 * [geometry] on screen (rotation, and mirroring for the front camera), the per-stage medians, the
 * frame rate and a status line (enrollment progress, errors).
 */
data class FrameReport(
    val geometry: FrameGeometry,
    val faces: List<RecognizedFace>,
    val latency: StageLatency,
    val fps: Double?,
    val status: String?,
)
