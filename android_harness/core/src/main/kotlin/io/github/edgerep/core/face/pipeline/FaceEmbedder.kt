package io.github.edgerep.core.face.pipeline

import io.github.edgerep.core.face.image.ModelInput

/**
 * A face model on some runtime (LiteRT on the phone, a fake in tests). [run] feeds one aligned crop
 * (`input.size` x `input.size` x 3 RGB bytes) through [ModelInput.write], mirrored when [mirror],
 * runs the model, and returns its raw output: an array the embedder owns and reuses, valid until the
 * next call.
 */
interface FaceEmbedder : AutoCloseable {
    val input: ModelInput

    fun run(crop: ByteArray, mirror: Boolean = false): FloatArray

    override fun close() {}
}
