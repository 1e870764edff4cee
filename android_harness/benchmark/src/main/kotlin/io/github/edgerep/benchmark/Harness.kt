package io.github.edgerep.benchmark

import android.content.Context
import io.github.edgerep.core.bench.ProtocolRunner
import io.github.edgerep.core.launch.LaunchOptions
import io.github.edgerep.core.report.BenchReport
import io.github.edgerep.core.report.ReportJson
import io.github.edgerep.core.report.writeAtomically
import io.github.edgerep.core.run.BenchmarkRun
import io.github.edgerep.core.run.ModelFolder
import io.github.edgerep.core.run.Progress
import java.io.File

/**
 * The app's folders and one complete run: resolve the models, measure, write the report. Used by
 * [MainActivity] and by the instrumentation test, so both run the same code path.
 *
 * Folders live in the app's external files folder, which needs no permission and which adb and
 * device farms reach: `/sdcard/Android/data/io.github.edgerep.benchmark/files/{models,reports}`.
 */
class Harness(private val context: Context) {
    private val root: File = context.getExternalFilesDir(null) ?: context.filesDir
    val models = ModelFolder(File(root, "models"))
    val reports = File(root, "reports")

    init {
        models.dir.mkdirs()
        reports.mkdirs()
    }

    /** Runs [options] and returns the report file (written atomically; never replaces another). */
    fun run(options: LaunchOptions, progress: Progress): File {
        val artifacts = models.plan(options)
        val report = BenchmarkRun(Runtimes::forApi, ProtocolRunner(), ProcMemoryProbe(), AndroidDeviceMonitor(context)).execute(
            artifacts = artifacts,
            options = options,
            machine = DeviceInfo.machine(context, options.deviceName),
            tool = BenchReport.Tool("edgerep-android", BuildConfig.VERSION_NAME),
            progress = progress,
        )
        val file = File(reports, options.output ?: ModelFolder.defaultReportName())
        writeAtomically(file, ReportJson.encode(report))
        return file
    }
}
