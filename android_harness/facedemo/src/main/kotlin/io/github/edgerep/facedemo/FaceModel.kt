package io.github.edgerep.facedemo

import io.github.edgerep.core.artifact.ArtifactMetadata
import io.github.edgerep.core.face.model.FaceArtifact
import io.github.edgerep.core.face.model.Sha256
import io.github.edgerep.core.tflite.TfliteMetadata
import java.io.File

/** A face model file on the phone and what its edgerep metadata says. */
class FaceModel(val file: File, val artifact: FaceArtifact) {

    companion object {
        /** edgerep's default face model: preferred when several face models were pushed. */
        const val DEFAULT = "facelivt_s"

        /**
         * The model to run: [requested] (a file name in [folder], or a path), else the face model
         * named [DEFAULT], else the only face model in [folder]. [outputSize] gives the runtime's
         * embedding width for files whose metadata lacks it. Errors say what to push.
         */
        fun find(folder: File, requested: String?, outputSize: (File) -> Int): FaceModel {
            val file = if (requested != null) {
                (if (File(requested).isAbsolute) File(requested) else File(folder, requested)).also {
                    require(it.isFile) { "model $requested is not in ${folder.path}; push it: adb push $requested ${folder.path}/" }
                }
            } else {
                val faces = folder.listFiles { f -> f.isFile && f.name.endsWith(".tflite") }.orEmpty()
                    .filter { isFaceModel(it) }.sortedBy { it.name }
                require(faces.isNotEmpty()) {
                    "no face model in ${folder.path}: export one with 'edgerep export $DEFAULT --target tflite -o exports/' " +
                        "and push it: adb push exports/$DEFAULT.tflite ${folder.path}/"
                }
                faces.firstOrNull { it.name.startsWith(DEFAULT) } ?: faces.singleOrNull()
                    ?: throw IllegalArgumentException(
                        "several face models in ${folder.path} (${faces.joinToString { it.name }}); choose one with --es model NAME",
                    )
            }
            val artifact = FaceArtifact.parse(TfliteMetadata.read(file), file.name, Sha256.of(file), outputSize(file))
            return FaceModel(file, artifact)
        }

        private fun isFaceModel(file: File): Boolean = try {
            ArtifactMetadata.parse(TfliteMetadata.read(file), file.name)?.task == "face-embedding"
        } catch (e: IllegalArgumentException) {
            false
        }
    }
}
