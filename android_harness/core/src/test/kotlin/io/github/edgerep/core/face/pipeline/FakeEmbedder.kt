package io.github.edgerep.core.face.pipeline

import io.github.edgerep.core.artifact.InputKind
import io.github.edgerep.core.artifact.InputSpec
import io.github.edgerep.core.artifact.Layout
import io.github.edgerep.core.face.image.ModelInput
import java.nio.FloatBuffer

/**
 * A stand-in model: 8 features, each a weighted sum of the input over one vertical stripe of the
 * crop (so a mirrored crop gives other features). It feeds the crop through [ModelInput] as a real
 * runtime would, and records which crops it saw.
 */
class FakeEmbedder(size: Int = 112) : FaceEmbedder {
    override val input = ModelInput(InputSpec("face", listOf(1, size, size, 3), Layout.NHWC, InputKind.RAW, null, null))
    private val tensor = FloatBuffer.allocate(input.spec.elements)
    private val output = FloatArray(FEATURES)
    val calls = ArrayList<Boolean>()

    override fun run(crop: ByteArray, mirror: Boolean): FloatArray {
        calls.add(mirror)
        input.write(crop, tensor, mirror)
        output.fill(1f)
        val size = input.size
        for (y in 0 until size) for (x in 0 until size) for (c in 0 until 3) {
            output[x * FEATURES / size] += tensor.get((y * size + x) * 3 + c) * (c + 1) / 1000f
        }
        return output
    }

    companion object {
        const val FEATURES = 8
    }
}
