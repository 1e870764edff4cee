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
import androidx.lifecycle.ViewModelProvider
import io.github.edgerep.core.face.gallery.Gallery
import io.github.edgerep.core.face.gallery.GalleryJson
import io.github.edgerep.core.face.pipeline.Enrollment
import java.util.Locale

/**
 * Camera to name: the preview with boxes, names, scores and per-stage latency; buttons to enroll a
 * person from the camera, edit the people enrolled, import a gallery made by `edgerep face enroll`,
 * export the gallery, and switch cameras. The model and the gallery live in [FaceDemoViewModel], so a
 * recreated activity (rotation) reuses them; the model is created, runs every frame ([FaceAnalyzer])
 * and is closed on one thread, its [io.github.edgerep.core.run.ModelThread].
 */
class MainActivity : ComponentActivity() {
    private lateinit var settings: LaunchSettings
    private lateinit var folders: DemoFolders
    private lateinit var overlay: OverlayView
    private lateinit var message: TextView
    private lateinit var camera: CameraSession
    private lateinit var state: FaceDemoViewModel
    private var loaded: LoadedModel? = null

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

    private val exportGallery = registerForActivityResult(ActivityResultContracts.CreateDocument("application/json")) { uri: Uri? ->
        if (uri != null) writeGallery(uri)
    }

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        setContentView(R.layout.activity_main)
        overlay = findViewById(R.id.overlay)
        message = findViewById(R.id.message)
        state = ViewModelProvider(this)[FaceDemoViewModel::class.java]
        camera = CameraSession(this, this, findViewById<PreviewView>(R.id.preview), state.modelThread)
        folders = DemoFolders(applicationContext)
        settings = try {
            LaunchSettings.from(intent)
        } catch (e: IllegalArgumentException) {
            showMessage(e.message ?: "bad launch option")
            return
        }
        if (state.front == null) state.front = settings.frontCamera
        findViewById<Button>(R.id.enroll).setOnClickListener { startEnrollment() }
        findViewById<Button>(R.id.people).setOnClickListener { editPeople() }
        findViewById<Button>(R.id.import_gallery).setOnClickListener { askImport() }
        findViewById<Button>(R.id.export_gallery).setOnClickListener { askExport() }
        findViewById<Button>(R.id.switch_camera).setOnClickListener {
            state.front = state.front != true
            if (loaded != null) startCamera()
        }
        showMessage(getString(R.string.loading_model, folders.models.path))
        val app = applicationContext
        val folders = folders
        val settings = settings
        state.load { LoadedModel.load(app, folders, settings) }
        state.observe(::onLoaded)
    }

    override fun onDestroy() {
        // Only the camera: the model, its thread and the gallery belong to the view model, which
        // closes them (on the model thread) when the activity finishes, not when it is recreated.
        state.stopObserving()
        if (::camera.isInitialized) camera.close()
        super.onDestroy()
    }

    private fun onLoaded(result: Result<LoadedModel>) {
        val l = result.getOrElse { e ->
            Log.e(TAG, "loading failed", e)
            showMessage(e.message ?: e.javaClass.simpleName)
            return
        }
        val first = loaded == null
        loaded = l
        hideMessage()
        updateHeader(l.gallery.current)
        if (first && !state.announced) {
            state.announced = true
            l.note?.let(::toast)
            settings.gallery?.let { name ->
                val file = folders.pushed(name)
                importGallery(file.name) {
                    require(file.isFile) { getString(R.string.gallery_not_pushed, name, file.parent) }
                    file.readText(Charsets.UTF_8)
                }
            }
        }
        if (checkSelfPermission(Manifest.permission.CAMERA) == PackageManager.PERMISSION_GRANTED) startCamera() else askCamera.launch(Manifest.permission.CAMERA)
    }

    private fun startCamera() {
        val l = loaded ?: return
        val enrollment = state.enrollment
        camera.start(state.front != false, { mirror ->
            FaceAnalyzer(l.detector, l.recognizer, l.gallery, enrollment, mirror, ::onEnrolled, overlay::show)
        }) { error -> runOnUiThread { showMessage(error) } }
    }

    private fun startEnrollment() {
        if (loaded == null) return
        Dialogs.askName(this, R.string.enroll_title, "") { name ->
            state.enrollment.set(Enrollment(name, needed = SHOTS))
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

    /** Export: the system's "save as" picker (Drive, Files, another app), filled with the gallery as edgerep reads it. */
    private fun askExport() {
        val l = loaded ?: return
        if (l.gallery.current.identities.isEmpty()) {
            toast(getString(R.string.nobody_to_export))
            return
        }
        exportGallery.launch("${l.model.artifact.model}.gallery.json")
    }

    private fun writeGallery(uri: Uri) {
        val l = loaded ?: return
        val text = GalleryJson.encode(l.gallery.current)
        val name = uri.lastPathSegment ?: uri.toString()
        Thread {
            val result = runCatching {
                val stream = contentResolver.openOutputStream(uri, "wt") ?: throw IllegalArgumentException("cannot write $uri")
                stream.use { it.write(text.toByteArray(Charsets.UTF_8)) }
            }
            runOnUiThread {
                result.fold(
                    onSuccess = { toast(getString(R.string.exported, name)) },
                    onFailure = { e -> Log.e(TAG, "gallery export failed", e); toast(e.message ?: e.javaClass.simpleName) },
                )
            }
        }.start()
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
