package io.github.edgerep.core.face.pipeline

/** What one face cost (ms, monotonic clock): similarity fit and warp, the model (twice with flip-sum), the gallery search. */
data class FaceTimings(val alignMs: Double, val embedMs: Double, val matchMs: Double)

/** What one frame cost before its faces (ms): YUV to RGB, and the detector (null when the landmarks were given). */
data class FrameTimings(val convertMs: Double?, val detectMs: Double?)
