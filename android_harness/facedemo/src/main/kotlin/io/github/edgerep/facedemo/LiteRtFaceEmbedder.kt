package io.github.edgerep.facedemo

import io.github.edgerep.core.face.image.ModelInput
import io.github.edgerep.core.face.model.FaceArtifact
import io.github.edgerep.core.face.pipeline.FaceEmbedder
import io.github.edgerep.core.launch.Delegate
import org.tensorflow.lite.DataType
import org.tensorflow.lite.Interpreter
import org.tensorflow.lite.gpu.CompatibilityList
import org.tensorflow.lite.gpu.GpuDelegate
import java.io.File
import java.nio.Buffer
import java.nio.ByteBuffer
import java.nio.ByteOrder
import java.nio.FloatBuffer

/**
 * The face model on LiteRT's classic `Interpreter` (litert 1.x, as the benchmark app: one API for
 * XNNPACK and the GPU delegate). Input and output live in direct buffers allocated once; [run]
 * writes the crop through the core's [ModelInput] (layout and normalization from the artifact's
 * metadata) and copies the output into a reused array. Create, run and close it on one thread (the
 * face demo's [io.github.edgerep.core.run.ModelThread]): the GPU delegate must run on the thread that
 * created it.
 */
class LiteRtFaceEmbedder private constructor(
    private val interpreter: Interpreter,
    private val gpu: GpuDelegate?,
    override val input: ModelInput,
    private val inputBytes: ByteBuffer,
    private val outputBytes: ByteBuffer,
    size: Int,
) : FaceEmbedder {
    private val inputFloats: FloatBuffer = inputBytes.asFloatBuffer()
    private val outputFloats: FloatBuffer = outputBytes.asFloatBuffer()
    private val output = FloatArray(size)

    override fun run(crop: ByteArray, mirror: Boolean): FloatArray {
        input.write(crop, inputFloats, mirror)
        // Through Buffer: ByteBuffer.rewind() returning ByteBuffer does not exist on older Android.
        val inputCursor: Buffer = inputBytes
        val outputCursor: Buffer = outputBytes
        inputCursor.rewind()
        outputCursor.rewind()
        interpreter.run(inputBytes, outputBytes)
        for (i in output.indices) output[i] = outputFloats.get(i)
        return output
    }

    override fun close() {
        interpreter.close()
        gpu?.close()
    }

    companion object {
        /** The width of [file]'s output (for models whose metadata lacks it). */
        fun outputSize(file: File): Int {
            val interpreter = Interpreter(file, Interpreter.Options().setNumThreads(1))
            try {
                return interpreter.getOutputTensor(0).shape().last()
            } finally {
                interpreter.close()
            }
        }

        /** Null when [delegate] can run here, otherwise why not. */
        fun unavailableReason(delegate: Delegate): String? = when (delegate) {
            Delegate.XNNPACK -> null
            Delegate.GPU -> if (CompatibilityList().use { it.isDelegateSupportedOnThisDevice }) null else "LiteRT's GPU compatibility list does not support this GPU"
            Delegate.NNAPI -> "NNAPI is deprecated since Android 15; the demo runs on xnnpack or gpu"
            Delegate.NPU -> "the demo runs on LiteRT 1.x's Interpreter: xnnpack or gpu"
        }

        fun open(file: File, artifact: FaceArtifact, delegate: Delegate, threads: Int): LiteRtFaceEmbedder {
            unavailableReason(delegate)?.let { throw IllegalStateException("delegate ${delegate.option}: $it") }
            val options = Interpreter.Options().setNumThreads(threads)
            var gpu: GpuDelegate? = null
            if (delegate == Delegate.GPU) {
                // Closed once read: CompatibilityList holds native memory until close().
                gpu = GpuDelegate(CompatibilityList().use { it.bestOptionsForThisDevice })
                options.addDelegate(gpu)
            } else {
                options.setUseXNNPACK(true)
            }
            val interpreter = try {
                Interpreter(file, options)
            } catch (e: RuntimeException) {
                gpu?.close()
                throw e
            }
            try {
                val input = ModelInput(artifact.metadata.input)
                val inTensor = interpreter.getInputTensor(0)
                val outTensor = interpreter.getOutputTensor(0)
                check(inTensor.dataType() == DataType.FLOAT32 && inTensor.numElements() == input.spec.elements) {
                    "${file.name}: input tensor ${inTensor.dataType()} ${inTensor.shape().toList()}, the metadata says float32 ${input.spec.shape}"
                }
                check(outTensor.dataType() == DataType.FLOAT32 && outTensor.numElements() == artifact.embeddingSize) {
                    "${file.name}: output tensor ${outTensor.dataType()} ${outTensor.shape().toList()}, expected ${artifact.embeddingSize} float32 values"
                }
                val inputBytes = ByteBuffer.allocateDirect(inTensor.numBytes()).order(ByteOrder.nativeOrder())
                val outputBytes = ByteBuffer.allocateDirect(outTensor.numBytes()).order(ByteOrder.nativeOrder())
                return LiteRtFaceEmbedder(interpreter, gpu, input, inputBytes, outputBytes, artifact.embeddingSize)
            } catch (e: RuntimeException) {
                interpreter.close()
                gpu?.close()
                throw e
            }
        }
    }
}
