"""The face pipeline's platform-free rules, below everything that exports or runs a model: image
loading, face detection (MTCNN), alignment to the ArcFace template, phone-frame geometry and matching.
The Kotlin and Swift harnesses implement the same rules (golden vectors keep them identical), and the
exporters use them to calibrate and check face models; the face commands and embedders built on them
are in :mod:`edgerep.face`, whose public API re-exports these names."""
