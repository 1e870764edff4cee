package io.github.edgerep.core.artifact

import io.github.edgerep.core.tflite.TfliteMetadata
import java.io.File

/** A `.tflite` file to measure and what its edgerep metadata says (null for a foreign model). */
data class Artifact(val file: File, val metadata: ArtifactMetadata?) {

    /** The record's model name: edgerep's name, or the file name without `.tflite`. */
    val model: String get() = metadata?.model ?: file.name.removeSuffix(".tflite")

    companion object {
        fun read(file: File): Artifact {
            require(file.isFile) { "${file.path} does not exist; push it with adb (see android_harness/README.md)" }
            return Artifact(file, ArtifactMetadata.parse(TfliteMetadata.read(file), file.name))
        }
    }
}
