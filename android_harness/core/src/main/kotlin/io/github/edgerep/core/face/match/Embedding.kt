package io.github.edgerep.core.face.match

import kotlin.math.sqrt

/**
 * An immutable vector of doubles (an embedding, or an identity's centroid), compared by value. The
 * arithmetic is edgerep.facecore.matching's: [normalized] is `v / sqrt(sum(v[i] * v[i]))`, [dot] a sum
 * in index order (numpy may sum in another order, so results agree to about 1e-12, decisions exactly).
 */
class Embedding private constructor(private val values: DoubleArray) {

    val size: Int get() = values.size

    operator fun get(index: Int): Double = values[index]

    fun toDoubleArray(): DoubleArray = values.copyOf()

    fun dot(other: Embedding): Double {
        require(other.size == size) { "cannot compare embeddings of $size and ${other.size} values" }
        var sum = 0.0
        for (i in values.indices) sum += values[i] * other.values[i]
        return sum
    }

    operator fun plus(other: Embedding): Embedding {
        require(other.size == size) { "cannot add embeddings of $size and ${other.size} values" }
        return Embedding(DoubleArray(size) { values[it] + other.values[it] })
    }

    /**
     * This vector over its L2 norm. [name] says what it is in the error: a zero vector cannot be
     * normalized, and a norm that overflows means the model output is broken.
     */
    fun normalized(name: String = "embedding"): Embedding {
        var squares = 0.0
        for (v in values) squares += v * v
        val norm = sqrt(squares)
        require(norm != 0.0) { "$name has an all-zero vector, which cannot be normalized" }
        require(norm.isFinite()) { "$name has a norm that overflows ($squares): the model output is broken" }
        return Embedding(DoubleArray(size) { values[it] / norm })
    }

    override fun equals(other: Any?): Boolean = other is Embedding && values.contentEquals(other.values)

    override fun hashCode(): Int = values.contentHashCode()

    override fun toString(): String = "Embedding(${values.joinToString(limit = 8)})"

    companion object {
        /** A copy of [values]; refused when empty or not finite (a broken model output). */
        fun of(values: DoubleArray, name: String = "embedding"): Embedding {
            require(values.isNotEmpty()) { "$name is empty" }
            require(values.all { it.isFinite() }) { "$name holds non-finite values (NaN or infinity): the model output is broken" }
            return Embedding(values.copyOf())
        }

        fun of(values: FloatArray, name: String = "embedding"): Embedding =
            of(DoubleArray(values.size) { values[it].toDouble() }, name)

        fun of(values: List<Double>, name: String = "embedding"): Embedding = of(values.toDoubleArray(), name)

        fun zeros(size: Int): Embedding = Embedding(DoubleArray(size))
    }
}
