package io.github.edgerep.core.artifact

/** Memory order of an image tensor: batch, then channels last (NHWC) or first (NCHW). */
enum class Layout {
    NHWC, NCHW;

    companion object {
        fun fromMetadata(value: String): Layout = entries.firstOrNull { it.name == value.uppercase() }
            ?: throw IllegalArgumentException("layout must be NHWC or NCHW for a TFLite model, got '$value'")
    }
}

/**
 * How the input relates to the image (edgerep/exporters/pipeline/prepare.py `Graph.input_kind`):
 * [TENSOR] takes the normalized image `(x/255 - mean) / std` (or `x/127.5 - 1` for models without
 * mean/std); [RAW] takes RGB pixels 0..255 with the normalization inside the graph.
 */
enum class InputKind {
    TENSOR, RAW;

    companion object {
        fun fromMetadata(value: String): InputKind = when (value) {
            "tensor" -> TENSOR
            "raw" -> RAW
            else -> throw IllegalArgumentException(
                "input kind must be 'tensor' or 'raw' for a TFLite model, got '$value'",
            )
        }
    }
}

/** The input tensor of an artifact: float32 of [shape] in [layout], fed as [kind] says. */
data class InputSpec(
    val name: String,
    val shape: List<Int>,
    val layout: Layout,
    val kind: InputKind,
    val mean: List<Double>?,
    val std: List<Double>?,
) {
    init {
        require(shape.size == 4 && shape.all { it >= 1 }) { "input shape must be 4 positive sizes (an image batch), got $shape" }
        require((mean == null) == (std == null)) { "mean and std come together, got mean=$mean std=$std" }
        if (mean != null && std != null) {
            require(mean.size == channels && std.size == channels) {
                "mean and std need $channels values (one per channel), got ${mean.size} and ${std.size}"
            }
            require(std.all { it > 0.0 }) { "std must be positive, got $std" }
        }
    }

    val batch: Int get() = shape[0]
    val channels: Int get() = if (layout == Layout.NHWC) shape[3] else shape[1]
    val height: Int get() = if (layout == Layout.NHWC) shape[1] else shape[2]
    val width: Int get() = if (layout == Layout.NHWC) shape[2] else shape[3]
    val elements: Int get() = shape.fold(1) { a, b -> a * b }
}
