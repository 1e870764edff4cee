package io.github.edgerep.core.face.geometry

/**
 * Five face landmarks in the ArcFace template's order, named by the sides of the *image*: the eye
 * on the image's left, the eye on the image's right, the nose tip, the mouth corner on the image's
 * left, the one on the image's right. Detectors that name the subject's sides (ML Kit) convert
 * through [SubjectLandmarks].
 */
data class Landmarks(val points: List<Point>) {
    init {
        require(points.size == COUNT) { "landmarks must be $COUNT (x, y) points in template order, got ${points.size}" }
        require(points.all { it.isFinite }) { "landmarks hold non-finite coordinates: $points" }
    }

    operator fun get(index: Int): Point = points[index]

    /** The same points with the left and right ones swapped ([MIRROR_ORDER]): what a left-right flip needs. */
    fun swappedSides(): Landmarks = Landmarks(MIRROR_ORDER.map { points[it] })

    fun map(transform: (Point) -> Point): Landmarks = Landmarks(points.map(transform))

    companion object {
        const val COUNT = 5

        /** After a left-right flip the eye on the image's left is the other eye: 0 <-> 1, 3 <-> 4. */
        val MIRROR_ORDER: List<Int> = listOf(1, 0, 2, 4, 3)

        /** From `x1, y1, ..., x5, y5`. */
        fun of(vararg xy: Double): Landmarks {
            require(xy.size == 2 * COUNT) { "landmarks need ${2 * COUNT} numbers x1, y1, ..., x5, y5, got ${xy.size}" }
            return Landmarks(List(COUNT) { Point(xy[2 * it], xy[2 * it + 1]) })
        }
    }
}
