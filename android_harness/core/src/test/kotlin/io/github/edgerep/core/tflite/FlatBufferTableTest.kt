package io.github.edgerep.core.tflite

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import java.io.File
import java.nio.ByteBuffer
import java.nio.ByteOrder
import java.nio.file.Files

class FlatBufferTableTest {

    /** A hand-laid flatbuffer: root table with one string field whose reference points past the end. */
    private fun dangling(): ByteBuffer {
        val b = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN)
        b.putInt(0, 16) // root table at 16
        b.put(4, 'T'.code.toByte()); b.put(5, 'F'.code.toByte()); b.put(6, 'L'.code.toByte()); b.put(7, '3'.code.toByte())
        b.putShort(8, 6) // vtable at 8: 6 bytes long,
        b.putShort(10, 8) // table 8 bytes,
        b.putShort(12, 4) // field 0 at table + 4
        b.putInt(16, 8) // table: vtable is 8 bytes before
        b.putInt(20, 1000) // field 0: a reference 1000 bytes ahead, outside the 32 bytes
        return b
    }

    @Test
    fun `a reference outside the buffer is an error naming the position`() {
        val root = FlatBufferTable.root(dangling(), "TFL3")
        val error = assertThrows(FlatBufferException::class.java) { root.string(0) }
        assertTrue(error.message!!.contains("outside the file"), error.message)
    }

    @Test
    fun `absent fields read as null or empty`() {
        val root = FlatBufferTable.root(dangling(), "TFL3")
        assertEquals(null, root.bytes(3))
        assertEquals(emptyList<FlatBufferTable>(), root.tables(6))
        assertEquals(7L, root.uint32(5, default = 7))
    }

    @Test
    fun `reading a file names it in the error`() {
        val file = File.createTempFile("notamodel", ".tflite")
        try {
            Files.write(file.toPath(), "definitely not a flatbuffer".toByteArray())
            val error = assertThrows(FlatBufferException::class.java) { TfliteMetadata.read(file) }
            assertTrue(error.message!!.startsWith(file.name), error.message)
        } finally {
            file.delete()
        }
    }
}
