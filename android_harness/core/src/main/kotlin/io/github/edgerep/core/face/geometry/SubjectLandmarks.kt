package io.github.edgerep.core.face.geometry

/**
 * Landmarks named by the *subject's* sides, as ML Kit names them (`LEFT_EYE` is the person's left
 * eye, which faces the camera and so appears on the image's right in a photo that is not mirrored).
 */
data class SubjectLandmarks(
    val leftEye: Point,
    val rightEye: Point,
    val nose: Point,
    val mouthLeft: Point,
    val mouthRight: Point,
) {
    /**
     * The template order for an image that is not mirrored (a camera frame or a photo, as others see
     * the subject): the subject's right eye and right mouth corner are on the image's left, so they
     * come first. For a mirrored view (a front-camera preview), map the result through
     * [FrameGeometry.landmarksToView], which swaps the sides again.
     */
    fun toTemplateOrder(): Landmarks = Landmarks(listOf(rightEye, leftEye, nose, mouthRight, mouthLeft))
}
