package io.github.edgerep.facedemo

import android.app.AlertDialog
import android.content.Context
import android.text.InputType
import android.widget.EditText

/** The demo's small dialogs (platform AlertDialog: no extra dependency). */
object Dialogs {
    /** Asks for a name; [onName] gets it trimmed, when not empty. */
    fun askName(context: Context, title: Int, initial: String, onName: (String) -> Unit) {
        val field = EditText(context).apply {
            inputType = InputType.TYPE_CLASS_TEXT or InputType.TYPE_TEXT_FLAG_CAP_WORDS
            setText(initial)
            setSelection(initial.length)
        }
        AlertDialog.Builder(context)
            .setTitle(title)
            .setView(field)
            .setPositiveButton(android.R.string.ok) { _, _ -> field.text.toString().trim().takeIf { it.isNotEmpty() }?.let(onName) }
            .setNegativeButton(android.R.string.cancel, null)
            .show()
    }

    /** The enrolled people; picking one offers rename and delete. */
    fun people(context: Context, names: List<String>, onRename: (String, String) -> Unit, onDelete: (String) -> Unit) {
        if (names.isEmpty()) {
            AlertDialog.Builder(context).setTitle(R.string.people).setMessage(R.string.no_people)
                .setPositiveButton(android.R.string.ok, null).show()
            return
        }
        AlertDialog.Builder(context)
            .setTitle(R.string.people)
            .setItems(names.toTypedArray()) { _, which ->
                val name = names[which]
                AlertDialog.Builder(context)
                    .setTitle(name)
                    .setItems(arrayOf(context.getString(R.string.rename), context.getString(R.string.delete))) { _, action ->
                        if (action == 0) askName(context, R.string.rename, name) { onRename(name, it) } else confirm(context, context.getString(R.string.delete_confirm, name)) { onDelete(name) }
                    }
                    .setNegativeButton(android.R.string.cancel, null)
                    .show()
            }
            .setNegativeButton(android.R.string.cancel, null)
            .show()
    }

    fun confirm(context: Context, message: String, onYes: () -> Unit) {
        AlertDialog.Builder(context)
            .setMessage(message)
            .setPositiveButton(android.R.string.ok) { _, _ -> onYes() }
            .setNegativeButton(android.R.string.cancel, null)
            .show()
    }
}
