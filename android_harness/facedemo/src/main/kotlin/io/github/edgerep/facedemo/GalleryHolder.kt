package io.github.edgerep.facedemo

import io.github.edgerep.core.face.gallery.Gallery
import io.github.edgerep.core.face.gallery.GalleryStore
import java.util.concurrent.ExecutorService
import java.util.concurrent.Executors
import java.util.concurrent.RejectedExecutionException
import java.util.concurrent.atomic.AtomicReference

/**
 * The gallery the camera matches against, and its file. The analysis thread reads [current] (an
 * immutable gallery, swapped whole); changes run one at a time on a background thread, are saved
 * atomically, and only then become current, so what is on screen is what is on disk.
 */
class GalleryHolder(private val store: GalleryStore, initial: Gallery) : AutoCloseable {
    private val gallery = AtomicReference(initial)
    private val io: ExecutorService = Executors.newSingleThreadExecutor()

    val current: Gallery get() = gallery.get()

    /** Applies [change] to the current gallery, saves it, and reports the new gallery or the error. */
    fun update(change: (Gallery) -> Gallery, done: (Result<Gallery>) -> Unit) {
        val work = Runnable {
            val result = runCatching {
                val next = change(gallery.get())
                store.save(next)
                gallery.set(next)
                next
            }
            done(result)
        }
        try {
            io.execute(work)
        } catch (e: RejectedExecutionException) {
            done(Result.failure(IllegalStateException("the gallery is closed (the demo is shutting down)", e)))
        }
    }

    /** Reads an `edgerep.gallery/1` document (checked against this model) and replaces the gallery with it. */
    fun import(text: () -> String, source: String, done: (Result<Gallery>) -> Unit) {
        update({ store.importing(text(), source) }, done)
    }

    /** Lets changes already asked for finish (they save the file), then ends the thread. */
    override fun close() {
        io.shutdown()
    }

    companion object {
        /** The stored gallery for the store's model (an empty one the first time). */
        fun open(store: GalleryStore): GalleryHolder = GalleryHolder(store, store.load())
    }
}
