package io.github.edgerep.core.face.geometry

/**
 * The least-squares similarity (rotation, uniform scale, translation; no reflection, no RANSAC)
 * mapping source points onto destination points: Umeyama's solution with the reflection correction,
 * which in 2-D has a closed form (what skimage's `SimilarityTransform.estimate` computes). The
 * arithmetic is edgerep.facecore.alignment `similarity_transform`'s, operation for operation, so the
 * matrices agree bit for bit (golden vectors `alignment`):
 *
 * means are the sums over the points in order divided by n; with centred points `s`, `d`, summing in
 * order from 0.0: `var += sx*sx + sy*sy`, `dot += sx*dx + sy*dy`, `cross += sx*dy - sy*dx`;
 * `a = dot/var`, `b = cross/var`, `M = [[a, -b, tx], [b, a, ty]]` with
 * `tx = mdx - (a*msx - b*msy)`, `ty = mdy - (b*msx + a*msy)`.
 */
object SimilarityFit {

    fun fit(src: List<Point>, dst: List<Point>): AffineMatrix {
        val n = src.size
        require(dst.size == n) { "dst must have as many points as src ($n), got ${dst.size}" }
        require(n >= 2) { "a similarity fit needs at least 2 point pairs, got $n" }
        require(src.all { it.isFinite } && dst.all { it.isFinite }) { "the points hold non-finite coordinates: $src -> $dst" }
        var sxm = 0.0
        var sym = 0.0
        var dxm = 0.0
        var dym = 0.0
        for (i in 0 until n) {
            sxm += src[i].x
            sym += src[i].y
            dxm += dst[i].x
            dym += dst[i].y
        }
        sxm /= n
        sym /= n
        dxm /= n
        dym /= n
        var variance = 0.0
        var dot = 0.0
        var cross = 0.0
        for (i in 0 until n) {
            val sx = src[i].x - sxm
            val sy = src[i].y - sym
            val dx = dst[i].x - dxm
            val dy = dst[i].y - dym
            variance += sx * sx + sy * sy
            dot += sx * dx + sy * dy
            cross += sx * dy - sy * dx
        }
        require(variance > 0.0) {
            "src points all coincide ($src): no similarity transform fits them; check the landmarks"
        }
        val a = dot / variance
        val b = cross / variance
        val tx = dxm - (a * sxm - b * sym)
        val ty = dym - (b * sxm + a * sym)
        return AffineMatrix(a, -b, tx, b, a, ty)
    }

    /** The matrix taking [landmarks] onto the ArcFace template of a [size] x [size] crop (`estimate_norm`). */
    fun toTemplate(landmarks: Landmarks, size: Int): AffineMatrix = fit(landmarks.points, ArcFaceTemplate.points(size).points)
}
