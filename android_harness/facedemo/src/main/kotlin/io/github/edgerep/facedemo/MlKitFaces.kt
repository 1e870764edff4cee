package io.github.edgerep.facedemo

import com.google.android.gms.tasks.Tasks
import com.google.mlkit.vision.common.InputImage
import com.google.mlkit.vision.face.Face
import com.google.mlkit.vision.face.FaceDetection
import com.google.mlkit.vision.face.FaceDetectorOptions
import com.google.mlkit.vision.face.FaceLandmark
import io.github.edgerep.core.face.detect.DetectedFace
import io.github.edgerep.core.face.geometry.Box
import io.github.edgerep.core.face.geometry.FrameGeometry
import io.github.edgerep.core.face.geometry.Point
import io.github.edgerep.core.face.geometry.SubjectLandmarks
import java.util.concurrent.TimeUnit

/**
 * ML Kit face detection with its bundled model (nothing downloads): boxes and the five landmarks the
 * ArcFace template needs (both eyes, nose base, both mouth corners; MediaPipe's BlazeFace gives only
 * a mouth centre). ML Kit names landmarks by the subject's sides and reports them in the upright,
 * unmirrored image; [detect] returns them in template order in the coordinates of the frame as the
 * sensor delivered it, through the core's [SubjectLandmarks] and [FrameGeometry].
 */
class MlKitFaces : AutoCloseable {
    private val client = FaceDetection.getClient(
        FaceDetectorOptions.Builder()
            .setPerformanceMode(FaceDetectorOptions.PERFORMANCE_MODE_FAST)
            .setLandmarkMode(FaceDetectorOptions.LANDMARK_MODE_ALL)
            .setMinFaceSize(0.15f)
            .enableTracking()
            .build(),
    )

    /**
     * Faces in [image] (built with the frame's rotation), in frame coordinates; [upright] is the
     * frame's geometry without mirroring. Blocks the calling thread (never the main thread).
     * Faces without all five landmarks (turned away, half out of view) are left out.
     */
    fun detect(image: InputImage, upright: FrameGeometry): List<DetectedFace> {
        require(!upright.mirror) { "ML Kit reports unmirrored coordinates: pass the geometry without mirroring" }
        val faces = Tasks.await(client.process(image), TIMEOUT_SECONDS, TimeUnit.SECONDS)
        return faces.mapNotNull { toFrame(it, upright) }
    }

    private fun toFrame(face: Face, upright: FrameGeometry): DetectedFace? {
        fun point(type: Int): Point? = face.getLandmark(type)?.position?.let { Point(it.x.toDouble(), it.y.toDouble()) }
        val subject = SubjectLandmarks(
            leftEye = point(FaceLandmark.LEFT_EYE) ?: return null,
            rightEye = point(FaceLandmark.RIGHT_EYE) ?: return null,
            nose = point(FaceLandmark.NOSE_BASE) ?: return null,
            mouthLeft = point(FaceLandmark.MOUTH_LEFT) ?: return null,
            mouthRight = point(FaceLandmark.MOUTH_RIGHT) ?: return null,
        )
        val r = face.boundingBox
        val box = Box.spanning(Point(r.left.toDouble(), r.top.toDouble()), Point(r.right.toDouble(), r.bottom.toDouble()))
        return DetectedFace(upright.boxToFrame(box), upright.landmarksToFrame(subject.toTemplateOrder()), trackingId = face.trackingId)
    }

    override fun close() {
        client.close()
    }

    private companion object {
        const val TIMEOUT_SECONDS = 5L
    }
}
