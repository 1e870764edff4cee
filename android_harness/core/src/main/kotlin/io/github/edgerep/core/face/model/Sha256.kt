package io.github.edgerep.core.face.model

import java.io.File
import java.io.InputStream
import java.security.MessageDigest

/** sha256 as lowercase hex, as edgerep's `file_sha256` (what galleries record as `artifact_sha256`). */
object Sha256 {
    fun of(file: File): String = file.inputStream().use { of(it) }

    fun of(stream: InputStream): String {
        val digest = MessageDigest.getInstance("SHA-256")
        val buffer = ByteArray(1 shl 16)
        while (true) {
            val n = stream.read(buffer)
            if (n < 0) break
            digest.update(buffer, 0, n)
        }
        val hex = StringBuilder(64)
        for (b in digest.digest()) {
            val v = b.toInt() and 0xFF
            hex.append(DIGITS[v shr 4]).append(DIGITS[v and 0xF])
        }
        return hex.toString()
    }

    private const val DIGITS = "0123456789abcdef"
}
