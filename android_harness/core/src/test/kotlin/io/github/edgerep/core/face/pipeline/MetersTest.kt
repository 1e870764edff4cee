package io.github.edgerep.core.face.pipeline

import io.github.edgerep.core.face.detect.DetectedFace
import io.github.edgerep.core.face.geometry.Box
import io.github.edgerep.core.face.geometry.Landmarks
import io.github.edgerep.core.face.match.Embedding
import io.github.edgerep.core.face.match.Match
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Test

class MetersTest {
    @Test
    fun `fps is frames over the time the window spans`() {
        val fps = FpsMeter(window = 3)
        assertNull(fps.tick(0))
        assertEquals(10.0, fps.tick(100_000_000))
        assertEquals(10.0, fps.tick(200_000_000))
        assertEquals(5.0, fps.tick(500_000_000), "the window keeps the last 3 frames: 2 intervals over 0.4 s")
    }

    @Test
    fun `rolling median of the last values`() {
        val median = RollingMedian(window = 4)
        assertNull(median.median())
        listOf(5.0, 1.0, 3.0).forEach(median::add)
        assertEquals(3.0, median.median())
        median.add(100.0)
        assertEquals(4.0, median.median())
        median.add(2.0)
        assertEquals(2.5, median.median(), "5.0 left the window")
    }

    @Test
    fun `stage medians count frames for convert and detect, faces for the rest`() {
        val meter = StageMeter(window = 5)
        assertEquals(StageLatency(null, null, null, null, null), meter.medians())
        meter.add(FrameTimings(convertMs = null, detectMs = 10.0), emptyList())
        meter.add(FrameTimings(convertMs = 2.0, detectMs = 14.0), listOf(timed(1.0, 20.0), timed(3.0, 30.0)))
        assertEquals(StageLatency(2.0, 12.0, 2.0, 25.0, 0.5), meter.medians())
    }

    private fun timed(align: Double, embed: Double) = RecognizedFace(
        DetectedFace(
            Box(0.0, 0.0, 1.0, 1.0),
            Landmarks.of(1.0, 1.0, 8.0, 1.0, 5.0, 5.0, 2.0, 8.0, 8.0, 8.0),
        ),
        Embedding.of(doubleArrayOf(1.0)),
        Match(null, null, null, 0.35, emptyList()),
        FaceTimings(align, embed, 0.5),
    )
}
