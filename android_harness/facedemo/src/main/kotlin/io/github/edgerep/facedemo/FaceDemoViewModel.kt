package io.github.edgerep.facedemo

import android.content.Context
import android.os.Handler
import android.os.Looper
import android.util.Log
import androidx.lifecycle.ViewModel
import io.github.edgerep.core.face.gallery.GalleryStore
import io.github.edgerep.core.face.pipeline.Enrollment
import io.github.edgerep.core.face.pipeline.FaceRecognizer
import io.github.edgerep.core.run.ModelThread
import java.io.File
import java.util.concurrent.atomic.AtomicReference

/**
 * What outlives the activity across recreation (rotation, which Android 16 no longer prevents on
 * large screens at targetSdk 36, a theme or locale change): the loaded model, its thread, the gallery,
 * the enrollment in progress and the camera choice. Only when the activity finishes for good
 * ([onCleared]) is the model closed, on its own thread, after the frames queued there.
 */
class FaceDemoViewModel : ViewModel() {
    /** Creates the embedder, runs every camera frame and closes it: one thread (LiteRT's GPU delegate needs it). */
    val modelThread = ModelThread<LoadedModel>("edgerep-face-model")
    val enrollment = AtomicReference<Enrollment?>(null)
    /** The camera facing the user (main thread only; null until the launch settings are read). */
    var front: Boolean? = null
    /** Whether the load's note and the pushed gallery were handled (once, not per activity). */
    var announced = false

    private val main = Handler(Looper.getMainLooper())
    private var started = false
    private var result: Result<LoadedModel>? = null
    private var listener: ((Result<LoadedModel>) -> Unit)? = null

    /** Loads the model once (later activities get the same result); main thread. */
    fun load(factory: () -> LoadedModel) {
        if (started) return
        started = true
        modelThread.load(factory) { loaded -> main.post { result = loaded; listener?.invoke(loaded) } }
    }

    /** [onResult] hears the load's result on the main thread, now if it is known; main thread. */
    fun observe(onResult: (Result<LoadedModel>) -> Unit) {
        listener = onResult
        result?.let(onResult)
    }

    /** The activity went away (it must not be called back). */
    fun stopObserving() {
        listener = null
    }

    override fun onCleared() {
        listener = null
        modelThread.close { error -> if (error != null) Log.w(MainActivity.TAG, "closing the face model failed", error) }
    }
}

/** Everything the model thread uses, built on it and closed on it. */
class LoadedModel(
    val model: FaceModel,
    val embedder: LiteRtFaceEmbedder,
    val detector: MlKitFaces,
    val gallery: GalleryHolder,
    val note: String?,
) : AutoCloseable {
    val recognizer = FaceRecognizer(embedder)

    override fun close() {
        try {
            embedder.close()
            detector.close()
        } finally {
            gallery.close()
        }
    }

    companion object {
        /** Finds the model, opens its gallery and the embedder; runs on the model thread. */
        fun load(context: Context, folders: DemoFolders, settings: LaunchSettings): LoadedModel {
            val model = FaceModel.find(folders.models, settings.model) { LiteRtFaceEmbedder.outputSize(it) }
            val store = GalleryStore(folders.galleries, model.artifact, MainActivity.RUNTIME)
            var note: String? = null
            val gallery = try {
                GalleryHolder.open(store)
            } catch (e: IllegalArgumentException) {
                // Never drop a user's gallery silently: keep the file aside, say so, start empty.
                val aside = File(store.file.path + ".invalid")
                store.file.renameTo(aside)
                note = context.getString(R.string.gallery_set_aside, aside.name, e.message)
                GalleryHolder.open(store)
            }
            val embedder = try {
                LiteRtFaceEmbedder.open(model.file, model.artifact, settings.delegate, settings.threads)
            } catch (e: Exception) {
                gallery.close()
                throw e
            }
            val detector = try {
                MlKitFaces()
            } catch (e: Exception) {
                embedder.close()
                gallery.close()
                throw e
            }
            return LoadedModel(model, embedder, detector, gallery, note)
        }
    }
}
