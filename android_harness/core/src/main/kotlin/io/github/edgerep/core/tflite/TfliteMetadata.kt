package io.github.edgerep.core.tflite

import java.io.File
import java.io.RandomAccessFile
import java.nio.ByteBuffer
import java.nio.CharBuffer
import java.nio.channels.FileChannel
import java.nio.charset.CharacterCodingException
import java.nio.charset.CodingErrorAction

/**
 * The metadata entries of a `.tflite` model: `Model.metadata[i] = {name, buffer}` in the TFLite
 * schema, each naming an entry of `Model.buffers` whose bytes hold the value. edgerep writes its
 * entries (`edgerep.model`, `edgerep.input`, ...) as UTF-8 text; entries whose bytes are not UTF-8
 * (e.g. TFLite's own binary `TFLITE_METADATA`) are skipped, and trailing NULs are dropped, as
 * edgerep's `read_metadata` does.
 */
object TfliteMetadata {
    private const val IDENTIFIER = "TFL3"

    // Field indices in schema.fbs: table Model { version, operator_codes, subgraphs, description,
    // buffers, metadata_buffer, metadata, signature_defs }; Metadata { name, buffer }; Buffer { data, ... }.
    private const val MODEL_BUFFERS = 4
    private const val MODEL_METADATA = 6
    private const val METADATA_NAME = 0
    private const val METADATA_BUFFER = 1
    private const val BUFFER_DATA = 0

    fun read(data: ByteBuffer): Map<String, String> {
        val model = FlatBufferTable.root(data, IDENTIFIER)
        val buffers = model.tables(MODEL_BUFFERS)
        val out = LinkedHashMap<String, String>()
        for (entry in model.tables(MODEL_METADATA)) {
            val name = entry.string(METADATA_NAME) ?: continue
            val index = entry.uint32(METADATA_BUFFER)
            if (index >= buffers.size) {
                throw FlatBufferException("metadata '$name' names buffer $index of ${buffers.size}: corrupt file")
            }
            val bytes = buffers[index.toInt()].bytes(BUFFER_DATA) ?: ByteArray(0)
            utf8(bytes)?.let { out[name] = it.trimEnd('\u0000') }
        }
        return out
    }

    /** Reads [file] through a read-only memory map (models are tens of megabytes). */
    fun read(file: File): Map<String, String> = RandomAccessFile(file, "r").use { raf ->
        val map = raf.channel.map(FileChannel.MapMode.READ_ONLY, 0, raf.length())
        try {
            read(map)
        } catch (e: FlatBufferException) {
            throw FlatBufferException("${file.name}: ${e.message}")
        }
    }

    private fun utf8(bytes: ByteArray): String? = try {
        val decoder = Charsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT)
        val chars: CharBuffer = decoder.decode(ByteBuffer.wrap(bytes))
        chars.toString()
    } catch (e: CharacterCodingException) {
        null
    }
}
