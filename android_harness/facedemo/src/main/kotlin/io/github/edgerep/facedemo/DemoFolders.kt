package io.github.edgerep.facedemo

import android.content.Context
import java.io.File

/**
 * Where the demo keeps things. Models and galleries to import come through the app's external files
 * folder, which needs no permission and which `adb push` reaches
 * (`/sdcard/Android/data/io.github.edgerep.facedemo/files`); the working gallery lives in the app's
 * private files (it survives restarts and updates, and goes with an uninstall).
 */
class DemoFolders(context: Context) {
    private val shared: File = context.getExternalFilesDir(null) ?: context.filesDir

    /** `.tflite` files exported by `edgerep export ... --target tflite`. */
    val models = File(shared, "models")

    /** The stored galleries, one per model file. */
    val galleries = File(context.filesDir, "galleries")

    /** Reports of the headless check, where device farms collect files. */
    val reports = File(shared, "facecheck")

    /** A gallery pushed by adb and named with `--es gallery NAME`: looked up here. */
    fun pushed(name: String): File = if (File(name).isAbsolute) File(name) else File(shared, name)

    init {
        models.mkdirs()
        galleries.mkdirs()
    }
}
