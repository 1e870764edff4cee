package io.github.edgerep.benchmark

import android.app.Activity
import android.content.Intent
import android.os.Bundle
import android.util.Log
import android.view.WindowManager
import android.widget.Button
import android.widget.EditText
import android.widget.ScrollView
import android.widget.TextView
import io.github.edgerep.core.launch.LaunchArgumentException
import io.github.edgerep.core.launch.LaunchOptions
import java.util.concurrent.ExecutorService
import java.util.concurrent.Executors

/**
 * A text field for the launch options, a Run button and a log. Started with the `args` extra
 * (`adb shell am start -S -n io.github.edgerep.benchmark/.MainActivity --es args '"--models=..."'`)
 * it runs at once, headless, and logs the report's path under the tag `edgerep`.
 */
class MainActivity : Activity() {
    private val worker: ExecutorService = Executors.newSingleThreadExecutor()
    private lateinit var argsField: EditText
    private lateinit var runButton: Button
    private lateinit var logView: TextView
    private lateinit var scroll: ScrollView
    private lateinit var harness: Harness
    private var running = false

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        setContentView(R.layout.activity_main)
        harness = Harness(applicationContext)
        argsField = findViewById(R.id.args)
        runButton = findViewById(R.id.run)
        logView = findViewById(R.id.log)
        scroll = findViewById(R.id.scroll)
        findViewById<TextView>(R.id.folders).text =
            getString(R.string.folders, harness.models.dir.path, harness.reports.path)

        val launched = intent.getStringExtra(EXTRA_ARGS)
        argsField.setText(launched ?: DEFAULT_ARGS)
        runButton.setOnClickListener { start(argsField.text.toString()) }
        if (launched != null && savedInstanceState == null) start(launched)
    }

    /** A second `am start --es args ...` without `-S` reaches the running activity here. */
    override fun onNewIntent(intent: Intent) {
        super.onNewIntent(intent)
        setIntent(intent)
        intent.getStringExtra(EXTRA_ARGS)?.let { args ->
            argsField.setText(args)
            start(args)
        }
    }

    override fun onDestroy() {
        worker.shutdownNow()
        super.onDestroy()
    }

    private fun start(args: String) {
        if (running) {
            log("error: a run is in progress; wait for its report (or restart the app with am start -S)", error = true)
            return
        }
        val options = try {
            LaunchOptions.parse(args)
        } catch (e: LaunchArgumentException) {
            log("error: ${e.message}", error = true)
            return
        }
        running = true
        runButton.isEnabled = false
        window.addFlags(WindowManager.LayoutParams.FLAG_KEEP_SCREEN_ON)
        log("running: $args")
        worker.execute {
            val (message, failed) = try {
                val report = harness.run(options) { done, total, label ->
                    Log.i(TAG, "[$done/$total] $label")
                    runOnUiThread { runButton.text = "$done/$total $label" }
                }
                "report written to ${report.path}" to false
            } catch (e: Exception) {
                "error: ${e.message ?: e::class.java.simpleName}" to true
            }
            runOnUiThread {
                log(message, error = failed)
                runButton.setText(R.string.run)
                runButton.isEnabled = true
                running = false
                window.clearFlags(WindowManager.LayoutParams.FLAG_KEEP_SCREEN_ON)
            }
        }
    }

    private fun log(line: String, error: Boolean = false) {
        if (error) Log.e(TAG, line) else Log.i(TAG, line)
        logView.append(line + "\n")
        scroll.post { scroll.fullScroll(ScrollView.FOCUS_DOWN) }
    }

    companion object {
        const val EXTRA_ARGS = "args"
        private const val TAG = "edgerep"
        private const val DEFAULT_ARGS = "--suite=imagenet --delegate=xnnpack --threads=4 --protocol=default"
    }
}
