package io.github.edgerep.core.run

import io.github.edgerep.core.artifact.Artifact
import io.github.edgerep.core.launch.LaunchArgumentException
import io.github.edgerep.core.launch.LaunchOptions
import io.github.edgerep.core.launch.SuitePlan
import java.io.File
import java.time.Instant
import java.time.ZoneOffset
import java.time.format.DateTimeFormatter

/**
 * The folder the artifacts are pushed to (`adb push m.tflite .../files/models/`) and the names a
 * run resolves in it: `--models` entries are file names there, or absolute paths.
 */
class ModelFolder(val dir: File) {

    /** Every `.tflite` file in the folder with its metadata, by file name. */
    fun artifacts(): List<Artifact> =
        (dir.listFiles { file -> file.isFile && file.name.endsWith(".tflite") } ?: emptyArray())
            .sortedBy { it.name }
            .map { Artifact.read(it) }

    fun resolve(name: String): Artifact {
        val file = if (File(name).isAbsolute) File(name) else File(dir, name)
        if (!file.isFile) {
            val present = dir.list { _, n -> n.endsWith(".tflite") }?.sorted().orEmpty()
            throw LaunchArgumentException(
                "--models: $name is not in ${dir.path} (it holds ${if (present.isEmpty()) "no .tflite file" else present.joinToString(", ")}); " +
                    "push it: adb push $name ${dir.path}/",
            )
        }
        return Artifact.read(file)
    }

    /** What a run measures, in order (see [SuitePlan]); the folder is scanned only in suite mode. */
    fun plan(options: LaunchOptions): List<Artifact> {
        val requested = options.models.map { resolve(it) }
        val available = if (options.suite != null) artifacts() else emptyList()
        return SuitePlan.resolve(options, requested, available)
    }

    companion object {
        private val STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC)

        /** The report name when `--out` is not given: `edgerep-android-20261130-101500.json` (UTC). */
        fun defaultReportName(now: Instant = Instant.now()): String = "edgerep-android-${STAMP.format(now)}.json"
    }
}
