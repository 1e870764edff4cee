package io.github.edgerep.benchmark

import android.util.Log
import androidx.test.ext.junit.runners.AndroidJUnit4
import androidx.test.platform.app.InstrumentationRegistry
import io.github.edgerep.core.launch.LaunchOptions
import io.github.edgerep.core.run.ModelFolder
import org.json.JSONObject
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith
import java.io.File

/**
 * Runs a benchmark headless and leaves its report where device farms collect files:
 * `/sdcard/Android/data/io.github.edgerep.benchmark/files/reports/` (Firebase Test Lab:
 * `--directories-to-pull`; AWS Device Farm, BrowserStack: the same folder).
 *
 * Models: every `.tflite` bundled in this test APK's assets under `models/` (export them into
 * benchmark/src/androidTest/assets/models/ before building), plus any already pushed to the app's
 * models folder. Options: the instrumentation argument `args` (`-e args "--suite=face ..."`), by
 * default the imagenet suite with the quick protocol.
 */
@RunWith(AndroidJUnit4::class)
class SuiteBenchmarkTest {

    @Test
    fun suiteRunsAndLeavesItsReportForTheFarm() {
        val instrumentation = InstrumentationRegistry.getInstrumentation()
        val harness = Harness(instrumentation.targetContext)
        copyBundledModels(instrumentation.context.assets, harness.models.dir)

        val args = InstrumentationRegistry.getArguments().getString("args") ?: DEFAULT_ARGS
        val parsed = LaunchOptions.parse(args)
        val options = parsed.copy(output = parsed.output ?: "instrumentation-" + ModelFolder.defaultReportName())
        val report = harness.run(options) { done, total, label -> Log.i(TAG, "$done/$total $label") }
        Log.i(TAG, "report written to ${report.path}")

        val json = JSONObject(report.readText())
        assertEquals("edgerep.bench/1", json.getString("schema"))
        val records = json.getJSONArray("records")
        val statuses = List(records.length()) { records.getJSONObject(it).getString("status") }
        assertTrue("no record ran: $statuses (see the report's reasons)", "ok" in statuses)
    }

    private fun copyBundledModels(assets: android.content.res.AssetManager, into: File) {
        val names = assets.list(ASSET_FOLDER).orEmpty().filter { it.endsWith(".tflite") }
        for (name in names) {
            assets.open("$ASSET_FOLDER/$name").use { source ->
                File(into, name).outputStream().use { source.copyTo(it) }
            }
        }
    }

    private companion object {
        const val TAG = "edgerep"
        const val ASSET_FOLDER = "models"
        const val DEFAULT_ARGS = "--suite=imagenet --delegate=xnnpack --threads=4 --protocol=quick"
    }
}
