package io.github.edgerep.core.artifact

import java.util.SplittableRandom

/**
 * A deterministic input for latency runs: pseudo-random RGB pixels (0..255, from [seed]) turned
 * into what the model takes, exactly as a camera frame would be (so no path sees unusual values:
 * all zeros can take faster kernels on some delegates). Per pixel and channel c:
 * - [InputKind.RAW]: the pixel value;
 * - [InputKind.TENSOR] with mean/std: `(p / 255 - mean[c]) / std[c]`;
 * - [InputKind.TENSOR] without: `p / 127.5 - 1` (edgerep's convention for such models).
 */
object SyntheticInput {
    const val DEFAULT_SEED = 20240601L

    /** The pixel at (n, y, x, c), before normalization. */
    fun pixels(spec: InputSpec, seed: Long = DEFAULT_SEED): IntArray {
        val random = SplittableRandom(seed)
        return IntArray(spec.batch * spec.height * spec.width * spec.channels) { random.nextInt(256) }
    }

    /** The input tensor's values in [InputSpec.layout] order (float32, as the model reads them). */
    fun values(spec: InputSpec, seed: Long = DEFAULT_SEED): FloatArray {
        val pixels = pixels(spec, seed)
        val out = FloatArray(spec.elements)
        val (h, w, c) = Triple(spec.height, spec.width, spec.channels)
        var i = 0
        for (n in 0 until spec.batch) for (y in 0 until h) for (x in 0 until w) for (ch in 0 until c) {
            val index = when (spec.layout) {
                Layout.NHWC -> i
                Layout.NCHW -> ((n * c + ch) * h + y) * w + x
            }
            out[index] = normalize(spec, pixels[i], ch)
            i++
        }
        return out
    }

    private fun normalize(spec: InputSpec, pixel: Int, channel: Int): Float {
        val mean = spec.mean
        val std = spec.std
        return when {
            spec.kind == InputKind.RAW -> pixel.toFloat()
            mean != null && std != null -> ((pixel / 255.0 - mean[channel]) / std[channel]).toFloat()
            else -> (pixel / 127.5 - 1.0).toFloat()
        }
    }
}
