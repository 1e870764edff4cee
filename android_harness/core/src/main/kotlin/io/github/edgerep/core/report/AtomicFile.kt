package io.github.edgerep.core.report

import java.io.File
import java.io.IOException

/**
 * Writes [text] to [target] through a temporary file in the same folder and a rename, so a reader
 * (a farm collecting files, `adb pull`, a script polling for the report) never sees half a file.
 * An existing [target] is refused unless [overwrite]: a report is never replaced by accident.
 */
fun writeAtomically(target: File, text: String, overwrite: Boolean = false) {
    val folder = target.absoluteFile.parentFile ?: throw IOException("$target has no parent folder")
    if (!folder.isDirectory && !folder.mkdirs()) throw IOException("cannot create the folder $folder")
    if (target.exists() && !overwrite) {
        throw IOException("$target already exists; choose another --out name or delete it first")
    }
    val temporary = File(folder, ".${target.name}.tmp")
    try {
        temporary.writeText(text, Charsets.UTF_8)
        if (!temporary.renameTo(target)) throw IOException("cannot rename $temporary to $target")
    } finally {
        temporary.delete()
    }
}
