package io.github.edgerep.core.run

import java.util.concurrent.Executor
import java.util.concurrent.LinkedBlockingQueue
import java.util.concurrent.RejectedExecutionException
import java.util.concurrent.ThreadPoolExecutor
import java.util.concurrent.TimeUnit

/**
 * The one thread that owns a native model: the model is created, used and closed on it and on no
 * other thread.
 *
 * LiteRT's GPU delegate must run on the thread that created it when no EGL context is current, so a
 * model built on a loader thread and run on a camera analysis thread breaks; here the loader and the
 * analysis are the same thread ([execute] is the executor the camera analyses frames on).
 *
 * [close] can be called at any time, from any thread, any number of times: the model is closed on
 * this thread after the work already queued (a [load] still running included, so a model that
 * finishes loading after its screen went away is still closed), and work offered after [close] is
 * dropped instead of throwing `RejectedExecutionException` at the caller.
 */
class ModelThread<T : AutoCloseable>(name: String) : Executor, AutoCloseable {
    private val executor = ThreadPoolExecutor(
        1, 1, 0L, TimeUnit.MILLISECONDS, LinkedBlockingQueue(),
    ) { runnable -> Thread(runnable, name).also { thread = it } }

    @Volatile private var thread: Thread? = null

    @Volatile private var closed = false

    // Read and written on the model thread only.
    private var model: T? = null
    private var loading = false

    /** Whether the caller runs on this thread. */
    val isCurrent: Boolean get() = Thread.currentThread() === thread

    /** Whether [close] was called. */
    val isClosed: Boolean get() = closed

    /**
     * Builds the model with [factory] on this thread (once: later calls report the first result or
     * refuse), then hands the result to [done] on this thread. After [close], nothing runs.
     */
    fun load(factory: () -> T, done: (Result<T>) -> Unit) {
        execute {
            val result = when {
                model != null -> Result.success(model!!)
                loading -> Result.failure(IllegalStateException("the model is already loading"))
                else -> {
                    loading = true
                    runCatching(factory).onSuccess { model = it }.also { loading = false }
                }
            }
            done(result)
        }
    }

    /** Runs [work] with the model on this thread (skipped when the model is not loaded or closed). */
    fun withModel(work: (T) -> Unit) {
        execute { model?.let(work) }
    }

    /** Runs [command] on this thread after the work queued before it; dropped after [close]. */
    override fun execute(command: Runnable) {
        if (closed) return
        try {
            // Work queued before close() still runs: a frame's work releases the camera buffer it holds.
            executor.execute(command)
        } catch (_: RejectedExecutionException) {
            // close() shut the executor down between the check and the submit: the work is dropped.
        }
    }

    /**
     * Closes the model on this thread after everything queued so far, then lets the thread end.
     * [closedCallback] hears, on this thread, the error closing raised (null when it went well).
     */
    fun close(closedCallback: (Throwable?) -> Unit) {
        synchronized(this) {
            if (closed) return
            closed = true
        }
        executor.execute {
            val error = runCatching { model?.close() }.exceptionOrNull()
            model = null
            closedCallback(error)
        }
        executor.shutdown()
    }

    override fun close() = close { }

    /** Waits until the thread has finished its work after [close] (tests; never on the main thread). */
    fun awaitTermination(millis: Long): Boolean = executor.awaitTermination(millis, TimeUnit.MILLISECONDS)
}
