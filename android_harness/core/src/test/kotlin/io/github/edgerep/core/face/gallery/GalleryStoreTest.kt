package io.github.edgerep.core.face.gallery

import io.github.edgerep.core.face.match.Embedding
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import java.io.File
import java.nio.file.Files

/** The app's gallery file: survives a restart, refuses galleries of another model file. */
class GalleryStoreTest {
    private val folder: File = Files.createTempDirectory("edgerep-gallery").toFile()
    private val model = GoldenGallery.artifact()

    @AfterEach
    fun cleanUp() {
        folder.deleteRecursively()
    }

    @Test
    fun `a gallery made by edgerep face enroll for this model file imports`() {
        val store = GalleryStore(folder, model, "litert")
        val imported = store.importing(GoldenGallery.text, "gallery.json")
        assertEquals(listOf("ada", "grace", "zo\u00eb"), imported.names)
        store.save(imported)
        assertEquals(imported, GalleryStore(folder, model, "litert").load(), "a new store (the app restarted) reads the same gallery")
    }

    @Test
    fun `edits persist, and nothing half-written is left behind`() {
        val store = GalleryStore(folder, model, "litert")
        val start = store.load()
        assertEquals(emptyList<String>(), start.names, "no file yet: an empty gallery for this model")
        assertEquals(model.sha256, start.spec.artifactSha256)
        val probe = Embedding.of(DoubleArray(512) { if (it == 3) 1.0 else 0.01 })
        val edited = store.importing(GoldenGallery.text, "gallery.json").enroll("marie", listOf(probe), listOf("camera shot 1")).delete("grace").rename("ada", "ada lovelace")
        store.save(edited)
        val reloaded = GalleryStore(folder, model, "litert").load()
        assertEquals(listOf("ada lovelace", "zo\u00eb", "marie"), reloaded.names)
        assertEquals("marie", reloaded.identify(probe).identity)
        assertEquals(listOf(store.file.name), folder.list()!!.toList())
    }

    @Test
    fun `a gallery of another model file is refused with the fix`() {
        val other = GoldenGallery.artifact(sha = "0".repeat(64))
        val thrown = assertThrows(IllegalArgumentException::class.java) { GalleryStore(folder, other, "litert").importing(GoldenGallery.text, "gallery.json") }
        val message = thrown.message!!
        assertTrue(message.startsWith("gallery.json was made with another model"), message)
        assertTrue(message.contains("artifact_sha256 ${GoldenGallery.sha256.take(12)}"), message)
        assertTrue(message.contains("edgerep face enroll DIR --artifact edgeface_xs_gamma_06.tflite"), message)
    }

    @Test
    fun `a gallery enrolled on torch (no model file) is refused too`() {
        val torch = GalleryJson.toJson(GalleryJson.parse(GoldenGallery.text, "g")).put("artifact_sha256", org.json.JSONObject.NULL)
        val problems = GalleryCompatibility.problems(GalleryJson.parse(torch.toString(), "g").spec, model)
        assertEquals(1, problems.size)
        assertTrue(problems[0].contains("without a model file"), problems[0])
    }

    @Test
    fun `an invalid stored gallery is an error naming its file, not an empty gallery`() {
        val store = GalleryStore(folder, model, "litert")
        store.file.writeText("{\"schema\": \"edgerep.gallery/1\"}")
        val thrown = assertThrows(GalleryException::class.java) { store.load() }
        assertTrue(thrown.message!!.startsWith("invalid gallery ${store.file.name}"), thrown.message)
    }
}
