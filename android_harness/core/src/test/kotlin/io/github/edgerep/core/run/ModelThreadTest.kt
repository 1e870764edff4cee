package io.github.edgerep.core.run

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertSame
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import java.util.Collections
import java.util.concurrent.CountDownLatch
import java.util.concurrent.TimeUnit
import java.util.concurrent.atomic.AtomicReference

/** The face demo's model ownership: one thread creates, runs and closes the model. */
class ModelThreadTest {
    /** A model that records the thread of every call on it. */
    private class FakeModel : AutoCloseable {
        val threads: MutableList<Pair<String, Thread>> = Collections.synchronizedList(mutableListOf())
        @Volatile var closed = false

        init { threads += "create" to Thread.currentThread() }

        fun run() {
            check(!closed) { "run after close" }
            threads += "run" to Thread.currentThread()
        }

        override fun close() {
            threads += "close" to Thread.currentThread()
            closed = true
        }
    }

    @Test
    fun `the model is created, run and closed on the same thread, never the caller's`() {
        val owner = ModelThread<FakeModel>("model")
        val loaded = AtomicReference<FakeModel>()
        owner.load({ FakeModel() }) { loaded.set(it.getOrThrow()) }
        repeat(4) { owner.withModel { it.run() } }
        owner.close()
        assertTrue(owner.awaitTermination(5_000))
        val model = loaded.get()
        assertEquals(listOf("create", "run", "run", "run", "run", "close"), model.threads.map { it.first })
        val thread = model.threads.first().second
        assertTrue(model.threads.all { it.second === thread })
        assertFalse(thread === Thread.currentThread())
        assertEquals("model", thread.name)
    }

    @Test
    fun `closing while the model loads closes it once it is loaded`() {
        val owner = ModelThread<FakeModel>("model")
        val inFactory = CountDownLatch(1)
        val release = CountDownLatch(1)
        val built = AtomicReference<FakeModel>()
        val closeError = AtomicReference<Throwable?>(IllegalStateException("close callback not called"))
        owner.load({
            inFactory.countDown()
            release.await(5, TimeUnit.SECONDS)
            FakeModel().also(built::set)
        }) { }
        assertTrue(inFactory.await(5, TimeUnit.SECONDS))
        owner.close { closeError.set(it) }  // the activity goes away while the model is loading
        release.countDown()
        assertTrue(owner.awaitTermination(5_000))
        assertTrue(built.get().closed, "a model loaded after close must still be closed (no leak)")
        assertNull(closeError.get())
        assertSame(built.get().threads[0].second, built.get().threads.last().second)
    }

    @Test
    fun `work offered after close is dropped, not thrown at the caller`() {
        val owner = ModelThread<FakeModel>("model")
        owner.load({ FakeModel() }) { }
        owner.close()
        owner.close()  // twice is harmless
        var ran = false
        owner.execute { ran = true }  // a camera frame arriving after onDestroy: no RejectedExecutionException
        owner.withModel { ran = true }
        owner.load({ FakeModel() }) { ran = true }
        assertTrue(owner.awaitTermination(5_000))
        assertFalse(ran)
        assertTrue(owner.isClosed)
    }

    @Test
    fun `work queued before close still runs, before the model is closed`() {
        val owner = ModelThread<FakeModel>("model")
        val model = AtomicReference<FakeModel>()
        owner.load({ FakeModel() }) { model.set(it.getOrThrow()) }
        val gate = CountDownLatch(1)
        owner.execute { gate.await(5, TimeUnit.SECONDS) }
        owner.withModel { it.run() }  // queued behind the gate
        owner.close()
        gate.countDown()
        assertTrue(owner.awaitTermination(5_000))
        assertEquals(listOf("create", "run", "close"), model.get().threads.map { it.first })
    }

    @Test
    fun `a failing factory reports its error and leaves nothing to close`() {
        val owner = ModelThread<FakeModel>("model")
        val result = AtomicReference<Result<FakeModel>>()
        owner.load({ throw IllegalArgumentException("no model in folder") }) { result.set(it) }
        owner.close()
        assertTrue(owner.awaitTermination(5_000))
        assertEquals("no model in folder", result.get().exceptionOrNull()?.message)
    }
}
