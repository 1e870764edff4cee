package io.github.edgerep.facedemo

import android.content.res.AssetManager
import android.graphics.BitmapFactory
import android.os.Build
import android.util.Log
import androidx.test.ext.junit.runners.AndroidJUnit4
import androidx.test.platform.app.InstrumentationRegistry
import io.github.edgerep.core.face.detect.DetectedFace
import io.github.edgerep.core.face.detect.FacesJson
import io.github.edgerep.core.face.gallery.Gallery
import io.github.edgerep.core.face.gallery.GalleryStore
import io.github.edgerep.core.face.pipeline.FaceCheck
import io.github.edgerep.core.face.pipeline.FaceCheckJson
import io.github.edgerep.core.face.pipeline.FaceRecognizer
import io.github.edgerep.core.launch.Delegate
import io.github.edgerep.core.report.writeAtomically
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith
import java.io.File
import java.nio.file.Files
import java.time.Instant
import java.time.temporal.ChronoUnit

/**
 * The face pipeline headless, on still images, for device farms: writes identities, scores and
 * per-stage latencies as `edgerep.facecheck/1` JSON (and the aligned crops as PNG) to
 * `/sdcard/Android/data/io.github.edgerep.facedemo/files/facecheck/`, the folder farms collect
 * (Firebase Test Lab `--directories-to-pull`).
 *
 * From this test APK's assets (put there before building; see the README and android.yml):
 * - `.tflite` files under `models/`: the face model (required, or already pushed to the app's models folder);
 * - `gallery.json` (optional): a gallery made by `edgerep face enroll --artifact` with the same model file;
 * - `faces/<identity>/<photo>.png` (optional), each with an optional `<photo>.png.json` sidecar of
 *   landmarks from `edgerep face detect --json`.
 *
 * Checked: (1) two generated images with planted landmarks, enrolled on the device, are identified
 * as themselves (score > 0.999); (2) with a host gallery and sidecar landmarks, each photo is its
 * folder's identity with score > 0.99: the phone's crop and embedding agree with edgerep's on the
 * host; (3) ML Kit finds a face in every photo, its landmarks in template order (eye on the image's
 * left first). Instrumentation arguments: `model`, `delegate` (xnnpack, gpu), `threads`.
 */
@RunWith(AndroidJUnit4::class)
class HeadlessFaceCheckTest {

    @Test
    fun pipelineOnStillImagesLeavesItsReportForTheFarm() {
        val instrumentation = InstrumentationRegistry.getInstrumentation()
        val assets = instrumentation.context.assets
        val args = InstrumentationRegistry.getArguments()
        val folders = DemoFolders(instrumentation.targetContext)
        copyModels(assets, folders.models)
        val model = FaceModel.find(folders.models, args.getString("model")) { LiteRtFaceEmbedder.outputSize(it) }
        val delegate = Delegate.fromOption(args.getString("delegate") ?: "xnnpack") ?: Delegate.XNNPACK
        val threads = args.getString("threads")?.toInt() ?: LaunchSettings.DEFAULT_THREADS
        val scratch = Files.createTempDirectory("facecheck").toFile()
        val store = GalleryStore(scratch, model.artifact, MainActivity.RUNTIME)
        val hostGallery = if ("gallery.json" in assets.list("").orEmpty()) {
            store.importing(assets.open("gallery.json").use { it.readBytes().toString(Charsets.UTF_8) }, "gallery.json")
        } else {
            null
        }
        val created = Instant.now().truncatedTo(ChronoUnit.SECONDS)
        val stamp = created.toString().replace(":", "").replace("-", "")
        val crops = File(folders.reports, "crops-$stamp")

        LiteRtFaceEmbedder.open(model.file, model.artifact, delegate, threads).use { embedder ->
            MlKitFaces().use { detector ->
                val recognizer = FaceRecognizer(embedder)
                val still = StillImages(detector, recognizer)
                val planted = listOf(PlantedFaces.make("planted_a", 7, 10.0, 1.6), PlantedFaces.make("planted_b", 13, -25.0, 1.2))
                var gallery: Gallery = hostGallery ?: store.load()
                for (p in planted) {
                    gallery = gallery.enroll(p.name, listOf(recognizer.embed(p.image, p.face.landmarks, gallery.spec.flipSum)), listOf("generated"))
                }

                val images = ArrayList<FaceCheck.Image>()
                for (p in planted) {
                    images.add(still.recognize(p.name, p.image, listOf(p.face), "planted", null, p.name, gallery))
                    still.saveLastCrop(File(crops, "${p.name}.png"))
                }
                val mlKitOrder = ArrayList<String>()
                for ((identity, photo) in photos(assets)) {
                    val bitmap = assets.open("faces/$photo").use { BitmapFactory.decodeStream(it) }
                    val rgb = still.rgb(bitmap)
                    sidecar(assets, photo)?.let { DetectedFace.largest(it) }?.let { given ->
                        images.add(still.recognize(photo, rgb, listOf(given), "given", null, identity.takeIf { hostGallery != null }, gallery))
                        still.saveLastCrop(File(crops, "$photo.given.png".replace('/', '_')))
                    }
                    val (found, detectMs) = still.detect(bitmap)
                    images.add(still.recognize(photo, rgb, found, "mlkit", detectMs, null, gallery))
                    found.forEach { f -> if (!(f.landmarks[0].x < f.landmarks[1].x)) mlKitOrder.add("$photo: ${f.landmarks}") }
                    if (found.isNotEmpty()) still.saveLastCrop(File(crops, "$photo.mlkit.png".replace('/', '_')))
                    bitmap.recycle()
                }

                val check = FaceCheck(
                    created = created.toString(),
                    device = mapOf(
                        "manufacturer" to Build.MANUFACTURER, "model" to Build.MODEL, "android" to Build.VERSION.RELEASE,
                        "api_level" to Build.VERSION.SDK_INT.toString(), "abi" to Build.SUPPORTED_ABIS.firstOrNull(),
                    ),
                    model = FaceCheck.Model(
                        model.artifact.model, model.file.name, model.artifact.sha256, MainActivity.RUNTIME, BuildConfig.LITERT_VERSION,
                        delegate.option, threads,
                    ),
                    gallery = FaceCheck.GalleryInfo(if (hostGallery != null) "gallery.json + planted" else "planted", gallery.names, gallery.threshold),
                    images = images,
                )
                val report = File(folders.reports, args.getString("out") ?: "facecheck-$stamp.json")
                writeAtomically(report, FaceCheckJson.encode(check))
                Log.i(MainActivity.TAG, "face check written to ${report.path}")

                // Checked after the report is written, so a farm collects it even when a check fails.
                for (image in images.filter { it.landmarks == "planted" }) {
                    val subject = image.subject!!
                    assertEquals(image.name, subject.match.identity)
                    assertTrue("${image.name}: score ${subject.match.score}", subject.match.score!! > 0.999)
                }
                for (image in images.filter { it.landmarks == "given" && it.expected != null }) {
                    val subject = image.subject!!
                    assertEquals("${image.name} (host gallery, host landmarks)", image.expected, subject.match.identity)
                    assertTrue("${image.name}: score ${subject.match.score} against edgerep's gallery", subject.match.score!! > 0.99)
                }
                val missed = images.filter { it.landmarks == "mlkit" && it.faces.isEmpty() }.map { it.name }
                assertTrue("ML Kit found no face in $missed", missed.isEmpty())
                assertTrue("ML Kit landmarks not in template order: $mlKitOrder", mlKitOrder.isEmpty())
            }
        }
        scratch.deleteRecursively()
    }

    private fun copyModels(assets: AssetManager, into: File) {
        for (name in assets.list("models").orEmpty().filter { it.endsWith(".tflite") }) {
            assets.open("models/$name").use { source -> File(into, name).outputStream().use { source.copyTo(it) } }
        }
    }

    /** (identity, path under faces/) of every bundled photo. */
    private fun photos(assets: AssetManager): List<Pair<String, String>> =
        assets.list("faces").orEmpty().filter { !it.startsWith(".") }.sorted().flatMap { identity ->
            assets.list("faces/$identity").orEmpty().filter { it.endsWith(".png") || it.endsWith(".jpg") }.sorted().map { identity to "$identity/$it" }
        }

    private fun sidecar(assets: AssetManager, photo: String): List<DetectedFace>? {
        val name = photo.substringAfterLast('/') + ".json"
        val folder = photo.substringBeforeLast('/')
        if (name !in assets.list("faces/$folder").orEmpty()) return null
        return FacesJson.parse(assets.open("faces/$photo.json").use { it.readBytes().toString(Charsets.UTF_8) }, "$photo.json")
    }
}
