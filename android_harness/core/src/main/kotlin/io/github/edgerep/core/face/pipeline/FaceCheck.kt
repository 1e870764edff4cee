package io.github.edgerep.core.face.pipeline

/**
 * A headless run of the pipeline on still images (the device-farm check): which model ran where,
 * against which gallery, and per image the faces found, who they are and what each stage cost.
 * [FaceCheckJson] writes it.
 */
data class FaceCheck(
    val created: String,
    val device: Map<String, String?>,
    val model: Model,
    val gallery: GalleryInfo,
    val images: List<Image>,
) {
    /** The model file and how it ran: [runtime] (e.g. `litert`) [runtimeVersion], [delegate], [threads]. */
    data class Model(val name: String, val file: String, val sha256: String, val runtime: String, val runtimeVersion: String?, val delegate: String, val threads: Int)

    /** The gallery searched: where it came from, its identities and threshold. */
    data class GalleryInfo(val source: String, val identities: List<String>, val threshold: Double)

    /**
     * One image: [landmarks] says where its landmarks came from (`mlkit`: detected on the device;
     * `given`: a `<image>.json` sidecar, e.g. from `edgerep face detect --json`; `planted`: a generated
     * image with known landmarks); [expected] the identity it should be, when known.
     */
    data class Image(
        val name: String,
        val width: Int,
        val height: Int,
        val landmarks: String,
        val expected: String?,
        val timings: FrameTimings,
        val faces: List<RecognizedFace>,
    ) {
        /** The identity of the largest face, as edgerep's commands pick the subject. */
        val subject: RecognizedFace? get() = faces.maxByOrNull { it.face.box.area }
    }
}
