package io.github.edgerep.core.face.geometry

/**
 * The 5-point ArcFace template the face models were trained on (deepinsight/insightface
 * `face_align.py` `arcface_dst`), in [Landmarks] order, scaled as InsightFace's `estimate_norm`:
 * size 112 as is, size 128 shifted 8 pixels right (ratio 1, `diff_x = 8`). edgerep.facecore.alignment
 * `template` is the reference.
 */
object ArcFaceTemplate {
    val SIZES: List<Int> = listOf(112, 128)

    private val ARCFACE_112 = Landmarks.of(
        38.2946, 51.6963,
        73.5318, 51.5014,
        56.0252, 71.7366,
        41.5493, 92.3655,
        70.7299, 92.2041,
    )

    fun points(size: Int): Landmarks {
        require(size in SIZES) {
            "alignment size $size is not supported; allowed: 112 or 128 (the sizes InsightFace's estimate_norm defines)"
        }
        return if (size == 112) ARCFACE_112 else ARCFACE_112.map { Point(it.x + 8.0, it.y) }
    }
}
