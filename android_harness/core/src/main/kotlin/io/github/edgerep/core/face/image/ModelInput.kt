package io.github.edgerep.core.face.image

import io.github.edgerep.core.artifact.InputKind
import io.github.edgerep.core.artifact.InputSpec
import io.github.edgerep.core.artifact.Layout
import java.nio.FloatBuffer

/**
 * Writes an aligned crop into a face model's input tensor, as edgerep.face.embed `Embedder.inputs`
 * feeds it: float32 arithmetic `(p / 255 - mean[c]) / std[c]` for a normalized-tensor input (mean
 * and std from the artifact's metadata; 0.5 and 0.5 when it has none, FaceLiVT's and EdgeFace's), raw
 * pixels 0..255 for a raw input; NHWC or NCHW as the artifact says. With `mirror` the crop is read
 * flipped left-right (the flip-sum embedding).
 */
class ModelInput(val spec: InputSpec) {
    init {
        require(spec.batch == 1 && spec.channels == 3 && spec.width == spec.height) {
            "a face model takes one square RGB crop (batch 1, 3 channels), its input is ${spec.shape} ${spec.layout}"
        }
    }

    val size: Int get() = spec.width
    private val mean = FloatArray(3) { (spec.mean?.get(it) ?: FACE_MEAN).toFloat() }
    private val std = FloatArray(3) { (spec.std?.get(it) ?: FACE_STD).toFloat() }

    /** Puts the crop's [InputSpec.elements] values into [out] from index 0 (absolute puts: its position is not used). */
    fun write(crop: ByteArray, out: FloatBuffer, mirror: Boolean = false) {
        require(crop.size >= size * size * 3) { "a ${size}x$size crop needs ${size * size * 3} bytes, got ${crop.size}" }
        require(out.capacity() >= spec.elements) { "the input buffer holds ${out.capacity()} floats, the model takes ${spec.elements}" }
        val plane = size * size
        for (y in 0 until size) {
            for (x in 0 until size) {
                val source = (y * size + (if (mirror) size - 1 - x else x)) * 3
                val pixel = y * size + x
                for (c in 0 until 3) {
                    val value = crop[source + c].toInt() and 0xFF
                    val index = if (spec.layout == Layout.NHWC) pixel * 3 + c else c * plane + pixel
                    out.put(index, normalize(value, c))
                }
            }
        }
    }

    private fun normalize(value: Int, channel: Int): Float =
        if (spec.kind == InputKind.RAW) value.toFloat() else (value.toFloat() / 255f - mean[channel]) / std[channel]

    companion object {
        const val FACE_MEAN = 0.5
        const val FACE_STD = 0.5
    }
}
