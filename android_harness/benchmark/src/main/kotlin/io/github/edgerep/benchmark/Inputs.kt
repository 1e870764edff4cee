package io.github.edgerep.benchmark

import io.github.edgerep.core.artifact.Artifact
import io.github.edgerep.core.artifact.InputKind
import io.github.edgerep.core.artifact.InputSpec
import io.github.edgerep.core.artifact.Layout
import io.github.edgerep.core.artifact.SyntheticInput
import org.tensorflow.lite.DataType
import org.tensorflow.lite.Interpreter
import java.nio.ByteBuffer
import java.nio.ByteOrder

/** The synthetic input of a record: from the edgerep metadata, or for a foreign model its tensor shape.
 * Both flavors ship LiteRT's `Interpreter` (1.x, and 2.x beside `CompiledModel`), so this serves both. */
internal object Inputs {
    fun values(artifact: Artifact): FloatArray = SyntheticInput.values(artifact.metadata?.input ?: foreignInput(artifact))

    /** [values] as the Interpreter takes them: a direct buffer of native-order float32. */
    fun buffer(artifact: Artifact): ByteBuffer {
        val values = values(artifact)
        val buffer = ByteBuffer.allocateDirect(values.size * Float.SIZE_BYTES).order(ByteOrder.nativeOrder())
        buffer.asFloatBuffer().put(values)
        return buffer
    }

    /** A model without edgerep metadata: an NHWC float image in [-1, 1], if its input is one. */
    private fun foreignInput(artifact: Artifact): InputSpec {
        val interpreter = Interpreter(artifact.file, Interpreter.Options().setNumThreads(1))
        try {
            val tensor = interpreter.getInputTensor(0)
            val shape = tensor.shape().toList()
            check(tensor.dataType() == DataType.FLOAT32 && shape.size == 4) {
                "${artifact.file.name} has no edgerep metadata and its input is ${tensor.dataType()} $shape, " +
                    "not a float32 image batch; export it with edgerep export ... --target tflite"
            }
            return InputSpec(tensor.name(), shape, Layout.NHWC, InputKind.TENSOR, mean = null, std = null)
        } finally {
            interpreter.close()
        }
    }
}
