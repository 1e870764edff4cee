package io.github.edgerep.facedemo

import android.Manifest
import android.content.pm.PackageManager
import android.net.Uri
import android.os.Bundle
import android.util.Log
import android.view.View
import android.widget.Button
import android.widget.TextView
import android.widget.Toast
import androidx.activity.ComponentActivity
import androidx.activity.result.contract.ActivityResultContracts
import androidx.camera.view.PreviewView
import io.github.edgerep.core.face.gallery.Gallery
import io.github.edgerep.core.face.gallery.GalleryStore
import io.github.edgerep.core.face.pipeline.Enrollment
import io.github.edgerep.core.face.pipeline.FaceRecognizer
import java.io.File
import java.util.Locale
import java.util.concurrent.Executors
import java.util.concurrent.atomic.AtomicReference

/**
 * Camera to name: the preview with boxes, names, scores and per-stage latency; buttons to enroll a
 * person from the camera, edit the people enrolled, import a gallery made by `edgerep face enroll`,
 * and switch cameras. The model and the gallery load off the main thread; every frame is analysed
 * on the camera session's analysis thread ([FaceAnalyzer]).
 */
class MainActivity : ComponentActivity() {
    private lateinit var settings: LaunchSettings
    private lateinit var folders: DemoFolders
    private lateinit var overlay: OverlayView
    private lateinit var message: TextView
    private lateinit var camera: CameraSession
    private val enrollment = AtomicReference<Enrollment?>(null)
    private var loaded: Loaded? = null
    private var front = true

    /** What starts once the model is ready: everything the analysis thread uses, and what to tell the user. */
    private class Loaded(
        val model: FaceModel,
        val embedder: LiteRtFaceEmbedder,
        val detector: MlKitFaces,
        val gallery: GalleryHolder,
        val note: String?,
    ) {
        val recognizer = FaceRecognizer(embedder)
    }

    private val askCamera = registerForActivityResult(ActivityResultContracts.RequestPermission()) { granted ->
        if (granted) startCamera() else showMessage(getString(R.string.camera_permission_needed))
    }

    private val pickGallery = registerForActivityResult(ActivityResultContracts.OpenDocument()) { uri: Uri? ->
        if (uri != null) {
            importGallery(uri.lastPathSegment ?: uri.toString()) {
                val stream = contentResolver.openInputStream(uri) ?: throw IllegalArgumentException("cannot open $uri")
                stream.use { it.readBytes().toString(Charsets.UTF_8) }
            }
        }
    }

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        setContentView(R.layout.activity_main)
        overlay = findViewById(R.id.overlay)
        message = findViewById(R.id.message)
        camera = CameraSession(this, this, findViewById<PreviewView>(R.id.preview))
        folders = DemoFolders(applicationContext)
        settings = try {
            LaunchSettings.from(intent)
        } catch (e: IllegalArgumentException) {
            showMessage(e.message ?: "bad launch option")
            return
        }
        front = settings.frontCamera
        findViewById<Button>(R.id.enroll).setOnClickListener { startEnrollment() }
        findViewById<Button>(R.id.people).setOnClickListener { editPeople() }
        findViewById<Button>(R.id.import_gallery).setOnClickListener { askImport() }
        findViewById<Button>(R.id.switch_camera).setOnClickListener {
            front = !front
            if (loaded != null) startCamera()
        }
        showMessage(getString(R.string.loading_model, folders.models.path))
        Executors.newSingleThreadExecutor().also { loader ->
            loader.execute {
                val result = runCatching { load() }
                runOnUiThread { onLoaded(result) }
            }
            loader.shutdown()
        }
    }

    override fun onDestroy() {
        camera.close()
        loaded?.let { l ->
            camera.onAnalysisThread {
                l.embedder.close()
                l.detector.close()
            }
            l.gallery.close()
        }
        super.onDestroy()
    }

    private fun load(): Loaded {
        val model = FaceModel.find(folders.models, settings.model) { LiteRtFaceEmbedder.outputSize(it) }
        val store = GalleryStore(folders.galleries, model.artifact, RUNTIME)
        var note: String? = null
        val gallery = try {
            GalleryHolder.open(store)
        } catch (e: IllegalArgumentException) {
            // Never drop a user's gallery silently: keep the file aside, say so, start empty.
            val aside = File(store.file.path + ".invalid")
            store.file.renameTo(aside)
            note = getString(R.string.gallery_set_aside, aside.name, e.message)
            GalleryHolder.open(store)
        }
        val embedder = LiteRtFaceEmbedder.open(model.file, model.artifact, settings.delegate, settings.threads)
        return Loaded(model, embedder, MlKitFaces(), gallery, note)
    }

    private fun onLoaded(result: Result<Loaded>) {
        val l = result.getOrElse { e ->
            Log.e(TAG, "loading failed", e)
            showMessage(e.message ?: e.javaClass.simpleName)
            return
        }
        loaded = l
        hideMessage()
        updateHeader(l.gallery.current)
        l.note?.let(::toast)
        settings.gallery?.let { name ->
            val file = folders.pushed(name)
            importGallery(file.name) {
                require(file.isFile) { getString(R.string.gallery_not_pushed, name, file.parent) }
                file.readText(Charsets.UTF_8)
            }
        }
        if (checkSelfPermission(Manifest.permission.CAMERA) == PackageManager.PERMISSION_GRANTED) startCamera() else askCamera.launch(Manifest.permission.CAMERA)
    }

    private fun startCamera() {
        val l = loaded ?: return
        camera.start(front, { mirror ->
            FaceAnalyzer(l.detector, l.recognizer, l.gallery, enrollment, mirror, ::onEnrolled, overlay::show)
        }) { error -> runOnUiThread { showMessage(error) } }
    }

    private fun startEnrollment() {
        if (loaded == null) return
        Dialogs.askName(this, R.string.enroll_title, "") { name ->
            enrollment.set(Enrollment(name, needed = SHOTS))
            toast(getString(R.string.enroll_started, name, SHOTS))
        }
    }

    /** Called on the analysis thread when the last shot was taken. */
    private fun onEnrolled(done: Enrollment) {
        val l = loaded ?: return
        l.gallery.update({ done.applyTo(it, FaceAnalyzer.shotLabel()) }) { result -> afterChange(result, getString(R.string.enrolled, done.name)) }
    }

    private fun editPeople() {
        val l = loaded ?: return
        Dialogs.people(
            this, l.gallery.current.names,
            onRename = { from, to -> l.gallery.update({ it.rename(from, to) }) { r -> afterChange(r, getString(R.string.renamed, from, to)) } },
            onDelete = { name -> l.gallery.update({ it.delete(name) }) { r -> afterChange(r, getString(R.string.deleted, name)) } },
        )
    }

    private fun askImport() {
        val l = loaded ?: return
        val count = l.gallery.current.identities.size
        val pick = { pickGallery.launch(arrayOf("application/json", "text/plain", "application/octet-stream")) }
        if (count == 0) pick() else Dialogs.confirm(this, getString(R.string.import_replaces, count), pick)
    }

    private fun importGallery(source: String, text: () -> String) {
        val l = loaded ?: return
        l.gallery.import(text, source) { result -> afterChange(result, getString(R.string.imported, source)) }
    }

    /** After a gallery change on the background thread: the new header, or the error, on screen. */
    private fun afterChange(result: Result<Gallery>, success: String) {
        runOnUiThread {
            result.fold(
                onSuccess = { updateHeader(it); toast(success) },
                onFailure = { e -> Log.e(TAG, "gallery change failed", e); toast(e.message ?: e.javaClass.simpleName) },
            )
        }
    }

    private fun updateHeader(gallery: Gallery) {
        val l = loaded ?: return
        overlay.setHeader(
            String.format(
                Locale.ROOT, "%s on %s x%d  |  %d people, threshold %.2f",
                l.model.artifact.model, settings.delegate.option, settings.threads, gallery.identities.size, gallery.threshold,
            ),
        )
    }

    private fun showMessage(text: String) {
        Log.i(TAG, text)
        message.text = text
        message.visibility = View.VISIBLE
    }

    private fun hideMessage() {
        message.visibility = View.GONE
    }

    private fun toast(text: String) {
        Log.i(TAG, text)
        Toast.makeText(this, text, Toast.LENGTH_LONG).show()
    }

    companion object {
        const val TAG = "edgerep"
        const val RUNTIME = "litert"
        const val SHOTS = 5
    }
}
