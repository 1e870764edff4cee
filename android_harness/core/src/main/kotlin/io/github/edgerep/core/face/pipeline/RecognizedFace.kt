package io.github.edgerep.core.face.pipeline

import io.github.edgerep.core.face.detect.DetectedFace
import io.github.edgerep.core.face.match.Embedding
import io.github.edgerep.core.face.match.Match

/** A detected face, its normalized embedding, who it is, and what each stage cost. */
data class RecognizedFace(val face: DetectedFace, val embedding: Embedding, val match: Match, val timings: FaceTimings)
