package io.github.edgerep.core.face.gallery

import io.github.edgerep.core.face.model.FaceArtifact
import io.github.edgerep.core.report.writeAtomically
import java.io.File

/**
 * The app's gallery for one model file, kept as an `edgerep.gallery/1` file in [folder] (the app's
 * private files, which survive restarts): one file per model sha256, so switching models never
 * mixes embeddings. Writes are atomic (a crash never leaves half a gallery).
 */
class GalleryStore(private val folder: File, private val model: FaceArtifact, private val runtime: String) {

    val file: File get() = File(folder, "${model.model}-${model.sha256.take(16)}.gallery.json")

    /** The stored gallery, or an empty one for this model (threshold [Matching.DEFAULT_THRESHOLD]). */
    fun load(): Gallery {
        if (!file.isFile) return Gallery(model.spec(runtime))
        val gallery = GalleryJson.parse(file.readText(Charsets.UTF_8), file.name)
        GalleryCompatibility.check(gallery.spec, model, file.name)
        return gallery
    }

    fun save(gallery: Gallery) {
        GalleryCompatibility.check(gallery.spec, model, "the gallery")
        writeAtomically(file, GalleryJson.encode(gallery), overwrite = true)
    }

    /**
     * An `edgerep.gallery/1` document made elsewhere (`edgerep face enroll --artifact`, another phone),
     * checked against this model; it replaces the stored gallery only when the caller saves it.
     */
    fun importing(text: String, source: String): Gallery {
        val gallery = GalleryJson.parse(text, source)
        GalleryCompatibility.check(gallery.spec, model, source)
        return gallery
    }
}
