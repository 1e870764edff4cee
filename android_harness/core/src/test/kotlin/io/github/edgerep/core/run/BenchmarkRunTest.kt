package io.github.edgerep.core.run

import io.github.edgerep.core.artifact.Artifact
import io.github.edgerep.core.artifact.ArtifactMetadata
import io.github.edgerep.core.artifact.InputKind
import io.github.edgerep.core.artifact.InputSpec
import io.github.edgerep.core.artifact.Layout
import io.github.edgerep.core.bench.MonotonicClock
import io.github.edgerep.core.bench.Predictor
import io.github.edgerep.core.bench.PredictorLoader
import io.github.edgerep.core.bench.ProtocolRunner
import io.github.edgerep.core.bench.Statistics
import io.github.edgerep.core.device.DeviceMonitor
import io.github.edgerep.core.launch.Delegate
import io.github.edgerep.core.report.DeviceState
import io.github.edgerep.core.launch.GpuPrecision
import io.github.edgerep.core.launch.LiteRtApi
import io.github.edgerep.core.launch.LaunchOptions
import io.github.edgerep.core.report.BenchRecord
import io.github.edgerep.core.report.BenchReport
import io.github.edgerep.core.report.Machine
import io.github.edgerep.core.report.ReportJson
import io.github.edgerep.core.report.writeAtomically
import io.github.edgerep.core.system.ProcStatus
import org.json.JSONObject
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import java.io.File
import java.nio.file.Files

/**
 * A whole run on a fake runtime whose predictions take scripted times. The report it writes is the
 * one core/test.sh hands to `edgerep bench ingest` (system property edgerep.report.out) and the
 * committed fixture tests/fixtures/kotlin_core_report.json.
 */
class BenchmarkRunTest {
    private val folder: File = Files.createTempDirectory("edgerep-run").toFile()

    @AfterEach
    fun cleanUp() {
        folder.deleteRecursively()
    }

    /**
     * Predictions cycle through [predictNs] (whole 100 ns, so samples_ms at 4 decimals are exact and
     * edgerep can recompute the statistics from the written samples); GPU is missing; NNAPI fails.
     */
    private class FakeRuntime(private val predictNs: List<Long>) : ModelRuntime, MonotonicClock {
        var now = 0L
        private var predictions = 0
        override val name = "litert"
        override val version = "1.4.2"
        override fun nanoTime() = now
        override fun unavailableReason(delegate: Delegate) =
            if (delegate == Delegate.GPU) "no GPU delegate on this device (CompatibilityList says unsupported)" else null

        override fun notes(delegate: Delegate) =
            if (delegate == Delegate.NNAPI) listOf("NNAPI is deprecated since Android 15") else emptyList()

        override fun loader(artifact: Artifact, delegate: Delegate, threads: Int, gpuPrecision: GpuPrecision) = PredictorLoader {
            if (delegate == Delegate.NNAPI) throw IllegalStateException("Internal error: Failed to apply delegate\nmore detail")
            now += 12_500_000
            object : Predictor {
                override fun predict() {
                    now += predictNs[predictions++ % predictNs.size]
                }
            }
        }
    }

    private fun artifact(name: String, bytes: Int, meta: ArtifactMetadata?): Artifact {
        val file = File(folder, "$name.tflite")
        file.writeBytes(ByteArray(bytes))
        return Artifact(file, meta)
    }

    private val t8 = ArtifactMetadata(
        model = "fastvit_t8", family = "fastvit", task = "classification", baseline = false,
        params = 3_992_392, macs = 685_160_448, precision = "fp32",
        input = InputSpec("image", listOf(1, 256, 256, 3), Layout.NHWC, InputKind.TENSOR,
            listOf(0.485, 0.456, 0.406), listOf(0.229, 0.224, 0.225)),
    )
    private val s0 = t8.copy(model = "mobileone_s0", family = "mobileone", baseline = true, params = 2_078_504,
        macs = 274_847_232, input = t8.input.copy(shape = listOf(1, 224, 224, 3)))

    /**
     * The phone's state, read in order: the run's start (none); the first record before (none) and
     * after (light: it warmed up); the cool-down before the third record polls light, waits 5 s,
     * reads none; then none throughout. The battery drains 1% per reading, on battery power.
     */
    private fun phone() = object : DeviceMonitor {
        var reads = 0
        override fun state(): DeviceState {
            val read = reads++
            return DeviceState(
                thermalState = if (read == 2 || read == 3) "light" else "none",
                thermalHeadroom = if (read == 2 || read == 3) 0.625 else 0.25,
                lowPowerMode = false,
                batteryLevel = (80 - read) / 100.0,
                charging = false,
            )
        }
    }

    private fun report(): BenchReport {
        val runtime = FakeRuntime(listOf(7_912_300, 8_001_000, 7_850_000, 9_400_000, 7_899_900, 7_950_500, 12_000_000))
        val memory = object : MemoryProbe {
            private var calls = 0
            override fun status() = if (calls++ % 2 == 0) ProcStatus(100L shl 20, 150L shl 20) else ProcStatus(120L shl 20, 180L shl 20)
            override fun resetPeak() = false
        }
        val options = LaunchOptions.parse(
            "--models=fastvit_t8.tflite,mobileone_s0.tflite --delegate=xnnpack,gpu,nnapi --protocol=quick --samples --cooldown=60",
        )
        val artifacts = listOf(artifact("fastvit_t8", 4096, t8), artifact("mobileone_s0", 2048, s0), artifact("foreign", 512, null))
        return BenchmarkRun(runtime, ProtocolRunner(runtime), memory, phone(), clock = runtime, sleep = { runtime.now += it * 1_000_000 }).execute(
            artifacts, options,
            Machine(name = "JVM test device", os = "Android", osVersion = "15", cpu = "scripted", arch = "arm64-v8a",
                cores = 8, memoryBytes = 8L shl 30, manufacturer = "edgerep", model = "fake"),
            BenchReport.Tool("edgerep-android", "0.1.0"),
        ).copy(created = "2026-11-30T00:00:00Z")
    }

    @Test
    fun `every model runs on every delegate, with unavailable and failed records explained`() {
        val records = report().records
        assertEquals(9, records.size)
        assertEquals(listOf("XNNPACK", "GPU", "NNAPI"), records.take(3).map { it.backend })
        val (ok, gpu, nnapi) = records
        assertEquals(BenchRecord.Status.OK, ok.status)
        assertEquals(BenchRecord.Status.UNAVAILABLE, gpu.status)
        assertTrue(gpu.reason!!.contains("no GPU delegate"))
        assertEquals(BenchRecord.Status.FAILED, nnapi.status)
        assertEquals("IllegalStateException: Internal error: Failed to apply delegate", nnapi.reason)
        assertEquals(mapOf("notes" to listOf("NNAPI is deprecated since Android 15")), nnapi.extra)
        val foreign = records[6]
        assertEquals("foreign", foreign.model)
        assertEquals("unknown", foreign.precision)
        assertNull(foreign.macs)
    }

    @Test
    fun `records carry the phone's state around them and the cool-down before them`() {
        val records = report().records
        val first = records[0].conditions!!
        assertEquals("none", first.before!!.thermalState)
        assertEquals("light", first.after!!.thermalState, "the first record warmed the phone")
        assertEquals(0.79, first.before!!.batteryLevel)
        assertNull(first.cooldownS, "no cool-down before the first record")
        assertNull(records[1].conditions, "an unavailable record ran nothing: no conditions")
        val third = records[2].conditions!!
        assertEquals(5.0, third.cooldownS, "waited one 5 s poll for light to return to none")
        assertEquals(true, third.cooled)
        assertEquals(0.0, records[3].conditions!!.cooldownS)
        val json = JSONObject(ReportJson.encode(report())).getJSONArray("records")
        val written = json.getJSONObject(0).getJSONObject("conditions")
        assertEquals("light", written.getJSONObject("after").getString("thermal_state"))
        assertTrue(written.isNull("cooldown_s"))
        assertTrue(json.getJSONObject(1).has("conditions").not())
    }

    @Test
    fun `a record carries the artifact's identity and the protocol's statistics`() {
        val record = report().records[0]
        assertEquals("fastvit_t8", record.model)
        assertEquals("fastvit", record.family)
        assertEquals(listOf(1, 256, 256, 3), record.inputShape)
        assertEquals(4096L, record.artifactBytes)
        assertEquals(4, record.threads)
        assertEquals(12.5, record.loadMs)
        assertEquals(7.9123, record.firstMs)
        val samples = record.samplesMs!!
        assertEquals(listOf(5, 5), samples.map { it.size })
        val summary = Statistics.summarize(samples, trim = 1)
        assertEquals(summary.medianMs, record.medianMs)
        assertEquals(685_160_448 / (summary.medianMs * 1e-3) / 1e9, record.gmacsPerS)
        assertEquals((180L - 100L) shl 20, record.peakMemoryBytes)
        assertNull(record.efficiency, "no ceiling measured, so no efficiency")
    }

    @Test
    fun `the JSON is edgerep's schema, numbers rounded as edgerep rounds them`() {
        val text = ReportJson.encode(report())
        val json = JSONObject(text)
        assertEquals("edgerep.bench/2", json.getString("schema"))
        assertEquals("device", json.getJSONObject("machine").getString("kind"))
        assertEquals("1.4.2", json.getJSONObject("runtimes").getString("litert"))
        val record = json.getJSONArray("records").getJSONObject(0)
        assertEquals(ReportJson.roundField("median_ms", report().records[0].medianMs!!), record.getDouble("median_ms"))
        assertTrue(record.isNull("ceiling_gmacs_per_s"))
        assertEquals("unavailable", json.getJSONArray("records").getJSONObject(1).getString("status"))

        System.getProperty("edgerep.report.out")?.let { path -> writeAtomically(File(path), text, overwrite = true) }
    }

    @Test
    fun `GPU records state the arithmetic the delegate runs, not only the file's precision`() {
        val gpuRuntime = object : ModelRuntime {
            val seen = mutableListOf<GpuPrecision>()
            var now = 0L
            override val name = "litert"
            override val version = "1.4.2"
            override fun unavailableReason(delegate: Delegate): String? = null
            override fun loader(artifact: Artifact, delegate: Delegate, threads: Int, gpuPrecision: GpuPrecision) = PredictorLoader {
                seen += gpuPrecision
                object : Predictor {
                    override fun predict() {
                        now += 1_000_000
                    }
                }
            }
        }
        val clock = MonotonicClock { gpuRuntime.now }
        val fp32 = artifact("fastvit_t8", 64, t8)
        val run = BenchmarkRun(gpuRuntime, ProtocolRunner(clock))
        val byDefault = run.measure(fp32, Delegate.GPU, LaunchOptions.parse("--models=a.tflite --delegate=gpu --protocol=quick"))
        assertEquals("fp16", byDefault.precision, "precisionLossAllowed (LiteRT's default) computes an fp32 model in fp16")
        assertEquals("fp32", byDefault.extra!!["artifact_precision"])
        assertTrue((byDefault.extra!!["notes"] as List<*>).single().toString().contains("computes in fp16"))
        val full = run.measure(fp32, Delegate.GPU, LaunchOptions.parse("--models=a.tflite --delegate=gpu --protocol=quick --gpu-precision=fp32"))
        assertEquals("fp32", full.precision)
        assertNull(full.extra!!["artifact_precision"])
        val cpu = run.measure(fp32, Delegate.XNNPACK, LaunchOptions.parse("--models=a.tflite --protocol=quick"))
        assertEquals("fp32", cpu.precision)
        assertNull(cpu.extra)
        val int8 = run.measure(artifact("q", 64, t8.copy(precision = "int8")), Delegate.GPU, LaunchOptions.parse("--models=a.tflite --protocol=quick"))
        assertEquals("int8", int8.precision, "only float32 arithmetic is narrowed")
        // The option reaches the runtime that builds the delegate: fp32 for the second record's two loads only.
        assertEquals(listOf(GpuPrecision.FP32, GpuPrecision.FP32), gpuRuntime.seen.subList(2, 4))
        assertEquals(2, gpuRuntime.seen.count { it == GpuPrecision.FP32 })
    }

    @Test
    fun `both LiteRT APIs in one report, each record named by its runtime`() {
        fun fake(name: String) = object : ModelRuntime {
            var now = 0L
            override val name = name
            override val version = if (name == "litert") "2.3.0" else "2.3.0 CompiledModel"
            override fun unavailableReason(delegate: Delegate) = when {
                name == "litert" && delegate != Delegate.XNNPACK -> "the LiteRT 2.x Interpreter has no ${delegate.option} delegate"
                else -> null
            }
            override fun loader(artifact: Artifact, delegate: Delegate, threads: Int, gpuPrecision: GpuPrecision) = PredictorLoader {
                object : Predictor {
                    override fun predict() {
                        now += 1_000_000
                    }
                }
            }
        }
        val interpreter = fake("litert")
        val compiled = fake("litert-compiled")
        val both = BenchmarkRun({ api: LiteRtApi -> if (api == LiteRtApi.INTERPRETER) interpreter else compiled }, ProtocolRunner { 0L })
        val options = LaunchOptions.parse("--models=a.tflite --api=interpreter,compiled --delegate=xnnpack,npu --protocol=quick")
        val report = both.execute(listOf(artifact("fastvit_t8", 64, t8)), options, Machine(name = "p", os = "Android"),
            BenchReport.Tool("edgerep-android", "0"))
        assertEquals(
            listOf("litert XNNPACK ok", "litert NPU unavailable", "litert-compiled XNNPACK ok", "litert-compiled NPU ok"),
            report.records.map { "${it.runtime} ${it.backend} ${it.status.json}" },
        )
        assertEquals(mapOf("litert" to "2.3.0", "litert-compiled" to "2.3.0 CompiledModel"), report.runtimes)
        // A build without CompiledModel (the litert1 flavor) says so in the record instead of skipping it.
        val old = BenchmarkRun(interpreter, ProtocolRunner { 0L }).measure(
            artifact("fastvit_t8", 64, t8), Delegate.GPU, options, api = LiteRtApi.COMPILED)
        assertEquals(BenchRecord.Status.UNAVAILABLE, old.status)
        assertEquals("litert-compiled", old.runtime)
        assertTrue(old.reason!!.contains("no LiteRT CompiledModel"))
    }

    @Test
    fun `a report is never half-written and never replaces another by accident`() {
        val target = File(folder, "reports/r.json")
        writeAtomically(target, "{}\n")
        assertEquals("{}\n", target.readText())
        val error = org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException::class.java) { writeAtomically(target, "{\"x\":1}") }
        assertTrue(error.message!!.contains("already exists"))
        assertEquals(listOf("r.json"), target.parentFile.list()!!.toList(), "no temporary file left behind")
    }
}
