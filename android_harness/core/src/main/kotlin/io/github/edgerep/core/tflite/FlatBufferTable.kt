package io.github.edgerep.core.tflite

import java.nio.Buffer
import java.nio.ByteBuffer
import java.nio.ByteOrder

/** A `.tflite` file that cannot be read: not a flatbuffer, or a reference outside the file. */
class FlatBufferException(message: String) : IllegalArgumentException(message)

/**
 * A read-only view of one flatbuffer table (https://flatbuffers.dev/internals): the table starts
 * with a signed offset back to its vtable; the vtable lists, per field, the field's offset inside
 * the table (0: absent). References (strings, vectors, tables) are unsigned offsets from where they
 * are stored. Every read is bounds-checked, so a corrupt file is an error, never a crash or a
 * read outside the buffer.
 */
class FlatBufferTable private constructor(private val buffer: ByteBuffer, private val position: Int) {

    private val vtable: Int
    private val vtableSize: Int

    init {
        vtable = checkedOffset(position.toLong() - int32(position), "vtable")
        vtableSize = uint16(vtable)
        if (vtableSize < 4 || vtableSize % 2 != 0) throw FlatBufferException("corrupt vtable at byte $vtable")
    }

    /** The byte position of field [index] in the buffer, or null when the field is absent. */
    private fun field(index: Int): Int? {
        val entry = 4 + 2 * index
        if (entry + 2 > vtableSize) return null
        val offset = uint16(vtable + entry)
        return if (offset == 0) null else checkedOffset(position.toLong() + offset, "field $index")
    }

    fun uint32(index: Int, default: Long = 0): Long = field(index)?.let { int32(it).toLong() and 0xFFFFFFFFL } ?: default

    fun string(index: Int): String? = bytes(index)?.let { String(it, Charsets.UTF_8) }

    /** A `[ubyte]` vector (or a string's bytes) as a copy, or null when the field is absent. */
    fun bytes(index: Int): ByteArray? {
        val start = field(index)?.let { reference(it) } ?: return null
        val length = vectorLength(start)
        val out = ByteArray(length)
        val view = buffer.duplicate()
        seek(view, start + 4)
        view.get(out)
        return out
    }

    /** A vector of tables, or an empty list when the field is absent. */
    fun tables(index: Int): List<FlatBufferTable> {
        val start = field(index)?.let { reference(it) } ?: return emptyList()
        val length = vectorLength(start, elementSize = 4)
        return List(length) { i ->
            val slot = start + 4 + 4 * i
            FlatBufferTable(buffer, reference(slot))
        }
    }

    private fun vectorLength(start: Int, elementSize: Int = 1): Int {
        val length = int32(start).toLong() and 0xFFFFFFFFL
        checkedOffset(start + 4 + length * elementSize, "vector end")
        return length.toInt()
    }

    private fun reference(at: Int): Int = checkedOffset(at + (int32(at).toLong() and 0xFFFFFFFFL), "reference at byte $at")

    private fun int32(at: Int): Int {
        checkedOffset(at + 4L, "int at byte $at")
        return buffer.getInt(at)
    }

    private fun uint16(at: Int): Int {
        checkedOffset(at + 2L, "short at byte $at")
        return buffer.getShort(at).toInt() and 0xFFFF
    }

    private fun checkedOffset(offset: Long, what: String): Int {
        if (offset < 0 || offset > buffer.limit()) {
            throw FlatBufferException("$what points outside the file (byte $offset of ${buffer.limit()}): truncated or corrupt")
        }
        return offset.toInt()
    }

    companion object {
        /**
         * Sets [buffer]'s position through [Buffer]: `ByteBuffer.position(int)` returning ByteBuffer is
         * Java 9+ only, and code compiled against it fails with NoSuchMethodError on older Android.
         */
        private fun seek(buffer: Buffer, position: Int) {
            buffer.position(position)
        }

        /**
         * The root table of [data], after checking the 4-byte file identifier at bytes 4..8
         * (`TFL3` for TFLite models).
         */
        fun root(data: ByteBuffer, identifier: String): FlatBufferTable {
            val buffer = data.duplicate().order(ByteOrder.LITTLE_ENDIAN)
            seek(buffer, 0)
            if (buffer.limit() < 8) throw FlatBufferException("too short for a flatbuffer (${buffer.limit()} bytes)")
            val found = ByteArray(4).also { for (i in 0 until 4) it[i] = buffer.get(4 + i) }
            if (!found.contentEquals(identifier.toByteArray(Charsets.US_ASCII))) {
                throw FlatBufferException("no $identifier identifier at bytes 4..8: not a ${identifier}-format file")
            }
            val root = buffer.getInt(0).toLong() and 0xFFFFFFFFL
            if (root + 4 > buffer.limit()) throw FlatBufferException("root table outside the file: truncated or corrupt")
            return FlatBufferTable(buffer, root.toInt())
        }
    }
}
