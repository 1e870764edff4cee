package io.github.edgerep.facedemo

import android.content.Intent
import io.github.edgerep.core.launch.Delegate

/**
 * Options from the launching intent (`adb shell am start -n io.github.edgerep.facedemo/.MainActivity
 * --es model facelivt_s.tflite --es delegate gpu --ei threads 4 --es camera back --es gallery gallery.json`),
 * all optional.
 */
data class LaunchSettings(
    val model: String?,
    val delegate: Delegate,
    val threads: Int,
    val frontCamera: Boolean,
    val gallery: String?,
) {
    companion object {
        const val DEFAULT_THREADS = 4

        fun from(intent: Intent): LaunchSettings {
            val delegateName = intent.getStringExtra("delegate") ?: Delegate.XNNPACK.option
            val delegate = Delegate.fromOption(delegateName)?.takeIf { it != Delegate.NNAPI }
                ?: throw IllegalArgumentException("--es delegate $delegateName: use xnnpack (the default) or gpu")
            val threads = intent.getIntExtra("threads", DEFAULT_THREADS)
            require(threads >= 1) { "--ei threads $threads: use a positive number of CPU threads" }
            val camera = intent.getStringExtra("camera") ?: "front"
            require(camera == "front" || camera == "back") { "--es camera $camera: use front (the default) or back" }
            return LaunchSettings(intent.getStringExtra("model"), delegate, threads, camera == "front", intent.getStringExtra("gallery"))
        }
    }
}
