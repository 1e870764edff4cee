package io.github.edgerep.benchmark

import io.github.edgerep.core.bench.Predictor
import io.github.edgerep.core.launch.Delegate
import io.github.edgerep.core.launch.GpuPrecision
import org.tensorflow.lite.Interpreter
import org.tensorflow.lite.gpu.CompatibilityList
import org.tensorflow.lite.gpu.GpuDelegate
import java.io.File
import java.nio.ByteBuffer
import java.nio.ByteOrder

/**
 * One LiteRT interpreter on one delegate, with its input already in place: [predict] is exactly one
 * `Interpreter.run`. Built by [LiteRtRuntime] once per protocol round (ModelBench reloads the model
 * every round); [close] frees the interpreter and the GPU delegate.
 */
internal class LiteRtPredictor private constructor(
    private val interpreter: Interpreter,
    private val gpuDelegate: GpuDelegate?,
    private val input: ByteBuffer,
    private val output: ByteBuffer,
) : Predictor {

    override fun predict() {
        input.rewind()
        output.rewind()
        interpreter.run(input, output)
    }

    override fun close() {
        interpreter.close()
        gpuDelegate?.close()
    }

    companion object {
        /**
         * Creates the interpreter for [model] on [delegate] with [threads] CPU threads (XNNPACK, and
         * the CPU part of a partly delegated graph); the GPU delegate computes in [gpuPrecision].
         * Runs on the thread that then predicts with it (the protocol loop loads and predicts on one
         * thread): the GPU delegate must run on the thread that created it. [input] is the model's input, in the tensor's
         * byte layout; it is shared by every round and only read.
         */
        fun open(model: File, delegate: Delegate, threads: Int, gpuPrecision: GpuPrecision, input: ByteBuffer): LiteRtPredictor {
            val options = Interpreter.Options().setNumThreads(threads)
            var gpu: GpuDelegate? = null
            when (delegate) {
                Delegate.XNNPACK -> options.setUseXNNPACK(true)
                Delegate.GPU -> {
                    // The record's precision follows this setting (GpuPrecision.recordPrecision).
                    val gpuOptions = CompatibilityList().use { it.bestOptionsForThisDevice }
                    gpuOptions.setPrecisionLossAllowed(gpuPrecision.precisionLossAllowed)
                    gpu = GpuDelegate(gpuOptions)
                    options.addDelegate(gpu)
                }
                Delegate.NNAPI -> options.setUseNNAPI(true)
                Delegate.NPU -> throw IllegalArgumentException("the Interpreter has no NPU delegate (--api=compiled)")
            }
            val interpreter = try {
                Interpreter(model, options)
            } catch (e: RuntimeException) {
                gpu?.close()
                throw e
            }
            try {
                check(interpreter.inputTensorCount == 1) {
                    "${model.name} has ${interpreter.inputTensorCount} inputs; the harness feeds one image tensor"
                }
                val expected = interpreter.getInputTensor(0).numBytes()
                check(input.capacity() == expected) {
                    "${model.name}: the input built from its metadata has ${input.capacity()} bytes, the tensor takes $expected"
                }
                val output = ByteBuffer.allocateDirect(interpreter.getOutputTensor(0).numBytes()).order(ByteOrder.nativeOrder())
                return LiteRtPredictor(interpreter, gpu, input, output)
            } catch (e: RuntimeException) {
                interpreter.close()
                gpu?.close()
                throw e
            }
        }
    }
}
