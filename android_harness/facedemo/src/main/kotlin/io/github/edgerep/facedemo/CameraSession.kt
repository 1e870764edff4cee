package io.github.edgerep.facedemo

import android.content.Context
import android.os.Handler
import android.os.Looper
import android.util.Size
import androidx.camera.core.CameraSelector
import androidx.camera.core.ImageAnalysis
import androidx.camera.core.Preview
import androidx.camera.core.resolutionselector.AspectRatioStrategy
import androidx.camera.core.resolutionselector.ResolutionSelector
import androidx.camera.core.resolutionselector.ResolutionStrategy
import androidx.camera.lifecycle.ProcessCameraProvider
import androidx.camera.view.PreviewView
import androidx.lifecycle.LifecycleOwner
import java.util.concurrent.Executor

/**
 * CameraX: a preview in [previewView] and an analysis stream of YUV_420_888 frames that keeps only
 * the latest frame (a slow model skips frames instead of queueing them). Both ask for 4:3, so the
 * analysed frames show what the preview shows and the overlay's FILL_CENTER mapping holds; analysis
 * targets 640x480 (enough for faces at arm's length, cheap to convert).
 *
 * Frames are analysed on [analysisExecutor], which the session does not own: it is the face model's
 * own thread ([io.github.edgerep.core.run.ModelThread]), where the model was created and where it is
 * closed, so [close] only unbinds the camera and never shuts down a thread other work still uses.
 */
class CameraSession(
    private val context: Context,
    private val owner: LifecycleOwner,
    private val previewView: PreviewView,
    private val analysisExecutor: Executor,
) : AutoCloseable {
    private val main = Handler(Looper.getMainLooper())
    private val mainExecutor = Executor { main.post(it) }
    private var provider: ProcessCameraProvider? = null

    /** Binds the camera facing [front] (or the back one) with [analyzer]; [onError] hears why binding failed. */
    fun start(front: Boolean, analyzer: (Boolean) -> ImageAnalysis.Analyzer, onError: (String) -> Unit) {
        val future = ProcessCameraProvider.getInstance(context)
        future.addListener({
            try {
                val cameras = future.get()
                provider = cameras
                val selector = if (front) CameraSelector.DEFAULT_FRONT_CAMERA else CameraSelector.DEFAULT_BACK_CAMERA
                val fourThree = ResolutionSelector.Builder()
                    .setAspectRatioStrategy(AspectRatioStrategy.RATIO_4_3_FALLBACK_AUTO_STRATEGY)
                val preview = Preview.Builder().setResolutionSelector(fourThree.build()).build()
                preview.setSurfaceProvider(previewView.surfaceProvider)
                val analysis = ImageAnalysis.Builder()
                    .setResolutionSelector(
                        fourThree.setResolutionStrategy(
                            ResolutionStrategy(Size(640, 480), ResolutionStrategy.FALLBACK_RULE_CLOSEST_HIGHER_THEN_LOWER),
                        ).build(),
                    )
                    .setBackpressureStrategy(ImageAnalysis.STRATEGY_KEEP_ONLY_LATEST)
                    .setOutputImageFormat(ImageAnalysis.OUTPUT_IMAGE_FORMAT_YUV_420_888)
                    .build()
                analysis.setAnalyzer(analysisExecutor, analyzer(front))
                cameras.unbindAll()
                cameras.bindToLifecycle(owner, selector, preview, analysis)
            } catch (e: Exception) {
                onError("camera: ${e.message ?: e.javaClass.simpleName}")
            }
        }, mainExecutor)
    }

    override fun close() {
        provider?.unbindAll()
        provider = null
    }
}
