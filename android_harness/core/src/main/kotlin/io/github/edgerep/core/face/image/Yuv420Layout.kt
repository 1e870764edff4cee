package io.github.edgerep.core.face.image

/**
 * The plane layout of an Android `YUV_420_888` image: a Y plane (pixel stride 1, [yRowStride] bytes
 * per row) and U, V planes subsampled 2x2 sharing [uvRowStride] and [uvPixelStride] (1: planar I420;
 * 2: interleaved NV21/NV12 views of one buffer). A plane's last row may stop right after its last
 * sample (Android does not pad it), so the bytes a plane needs are
 * `(rows - 1) * rowStride + (samples - 1) * pixelStride + 1`.
 */
data class Yuv420Layout(
    val width: Int,
    val height: Int,
    val yRowStride: Int,
    val uvRowStride: Int,
    val uvPixelStride: Int,
) {
    init {
        require(width >= 1 && height >= 1) { "frame size must be positive, got ${width}x$height" }
        require(uvPixelStride >= 1) { "uv pixel stride must be positive, got $uvPixelStride" }
        require(yRowStride >= width) { "y row stride $yRowStride is smaller than the width $width" }
        require(uvRowStride >= (chromaWidth - 1) * uvPixelStride + 1) {
            "uv row stride $uvRowStride cannot hold $chromaWidth chroma samples $uvPixelStride bytes apart"
        }
    }

    val chromaWidth: Int get() = (width + 1) / 2
    val chromaHeight: Int get() = (height + 1) / 2
    val yBytes: Int get() = (height - 1) * yRowStride + width
    val uvBytes: Int get() = (chromaHeight - 1) * uvRowStride + (chromaWidth - 1) * uvPixelStride + 1
}
