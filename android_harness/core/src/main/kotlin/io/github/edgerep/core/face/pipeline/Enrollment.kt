package io.github.edgerep.core.face.pipeline

import io.github.edgerep.core.face.gallery.Gallery
import io.github.edgerep.core.face.match.Embedding

/**
 * Enrolling a person from the camera: [needed] shots of one face, at least [minIntervalNanos] apart
 * (so they differ a little: a turn of the head, another expression), taken only while exactly one
 * face is in view (with two, whose face it is would be a guess). Immutable: [offer] returns the next
 * state. [applyTo] adds the shots to a gallery.
 */
data class Enrollment(
    val name: String,
    val needed: Int = 5,
    val minIntervalNanos: Long = 400_000_000L,
    val shots: List<Embedding> = emptyList(),
    val lastShotNanos: Long? = null,
    val hint: String? = null,
) {
    init {
        require(name.isNotBlank()) { "the person's name must not be empty" }
        require(needed >= 1) { "an enrollment needs at least one shot, got $needed" }
    }

    val done: Boolean get() = shots.size >= needed

    /** The state after a frame in which [faces] were recognized at [nanos] (monotonic). */
    fun offer(faces: List<RecognizedFace>, nanos: Long): Enrollment = when {
        done -> this
        faces.isEmpty() -> copy(hint = "no face in view")
        faces.size > 1 -> copy(hint = "${faces.size} faces in view: enroll one person at a time")
        lastShotNanos != null && nanos - lastShotNanos < minIntervalNanos -> copy(hint = null)
        else -> copy(shots = shots + faces[0].embedding, lastShotNanos = nanos, hint = null)
    }

    /** "alice: 3 of 5 shots" and what is in the way, for the screen. */
    fun status(): String = "$name: ${shots.size} of $needed shots" + (hint?.let { " ($it)" } ?: "")

    /**
     * [gallery] with the shots enrolled under [name] (a new identity, or more embeddings of an existing
     * one). [label] names the shots in the gallery's `sources` (e.g. "camera 2026-11-30T10:15:00Z"),
     * unless the existing identity was enrolled without sources.
     */
    fun applyTo(gallery: Gallery, label: String): Gallery {
        check(done) { "enrollment of '$name' has ${shots.size} of $needed shots" }
        val existing = gallery.identities.firstOrNull { it.name == name }
        val sources = if (existing != null && existing.sources == null) null else shots.indices.map { "$label shot ${it + 1}" }
        return gallery.enroll(name, shots, sources)
    }
}
