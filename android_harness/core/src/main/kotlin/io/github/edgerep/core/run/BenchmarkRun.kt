package io.github.edgerep.core.run

import io.github.edgerep.core.artifact.Artifact
import io.github.edgerep.core.bench.MonotonicClock
import io.github.edgerep.core.device.Cooldown
import io.github.edgerep.core.device.CooldownResult
import io.github.edgerep.core.device.DeviceMonitor
import io.github.edgerep.core.report.Conditions
import io.github.edgerep.core.bench.ProtocolRunner
import io.github.edgerep.core.bench.Statistics
import io.github.edgerep.core.launch.Delegate
import io.github.edgerep.core.launch.GpuPrecision
import io.github.edgerep.core.launch.LiteRtApi
import io.github.edgerep.core.launch.LaunchOptions
import io.github.edgerep.core.report.BenchRecord
import io.github.edgerep.core.report.BenchReport
import io.github.edgerep.core.report.Machine
import io.github.edgerep.core.system.peakMemoryGrowth

private data class Job(val artifact: Artifact, val api: LiteRtApi, val delegate: Delegate)

/** Progress of a run: [done] of [total] records, the one being measured, the round within it. */
fun interface Progress {
    fun update(done: Int, total: Int, label: String)
}

/**
 * Measures every artifact on every delegate of [options] and gathers the records into a report.
 * A delegate this device lacks gives an `unavailable` record and a model that fails to load or run
 * a `failed` one, each with the reason, and the run goes on with the next.
 *
 * With a [monitor], each measured record carries the phone's state before and after it
 * (`conditions`); with `--cooldown=S` each record after the first first waits (up to S seconds) for
 * the thermal state to return to the run's starting state ([Cooldown]).
 */
class BenchmarkRun(
    /** The runtime of each LiteRT API this build has (null: not in this build, records are unavailable). */
    private val runtimes: (LiteRtApi) -> ModelRuntime?,
    private val runner: ProtocolRunner = ProtocolRunner(),
    private val memory: MemoryProbe = MemoryProbe.NONE,
    private val monitor: DeviceMonitor = DeviceMonitor.NONE,
    private val clock: MonotonicClock = MonotonicClock.SYSTEM,
    private val sleep: (Long) -> Unit = Thread::sleep,
) {
    /** A build with one API: [runtime] runs the Interpreter records. */
    constructor(
        runtime: ModelRuntime,
        runner: ProtocolRunner = ProtocolRunner(),
        memory: MemoryProbe = MemoryProbe.NONE,
        monitor: DeviceMonitor = DeviceMonitor.NONE,
        clock: MonotonicClock = MonotonicClock.SYSTEM,
        sleep: (Long) -> Unit = Thread::sleep,
    ) : this({ api: LiteRtApi -> if (api == LiteRtApi.INTERPRETER) runtime else null }, runner, memory, monitor, clock, sleep)

    fun execute(
        artifacts: List<Artifact>,
        options: LaunchOptions,
        machine: Machine,
        tool: BenchReport.Tool,
        progress: Progress = Progress { _, _, _ -> },
    ): BenchReport {
        val jobs = artifacts.flatMap { artifact -> options.apis.flatMap { api -> options.delegates.map { Job(artifact, api, it) } } }
        val start = if (monitor === DeviceMonitor.NONE) null else monitor.state()
        val records = jobs.mapIndexed { index, (artifact, api, delegate) ->
            val label = "${artifact.model} on ${api.runtime} ${delegate.backend}"
            progress.update(index, jobs.size, label)
            val cooldown = if (index > 0 && options.cooldownS > 0 && start != null) {
                {
                    progress.update(index, jobs.size, "$label: cooling down (at most ${options.cooldownS} s)")
                    Cooldown(options.cooldownS, clock = clock, sleep = sleep).await(monitor, start.thermalState)
                }
            } else {
                null
            }
            measure(artifact, delegate, options, cooldown, api) { round ->
                progress.update(index, jobs.size, "$label, round $round/${options.protocol.rounds}")
            }
        }
        progress.update(jobs.size, jobs.size, "done")
        return BenchReport(
            tool = tool,
            machine = machine,
            protocol = options.protocol,
            records = records,
            runtimes = options.apis.mapNotNull(runtimes).mapNotNull { r -> r.version?.let { r.name to it } }.toMap(),
            extra = mapOf(
                "input" to "synthetic: seeded pseudo-random RGB pixels, normalized as each artifact's metadata says",
                "suite" to options.suite?.option,
            ),
        )
    }

    /**
     * One record: [artifact] on [delegate] with the options' threads and protocol; [cooldown], when
     * given, runs first (not for a record that is unavailable anyway).
     */
    fun measure(
        artifact: Artifact,
        delegate: Delegate,
        options: LaunchOptions,
        cooldown: (() -> CooldownResult)? = null,
        api: LiteRtApi = LiteRtApi.INTERPRETER,
        onRound: (Int) -> Unit = {},
    ): BenchRecord {
        val meta = artifact.metadata
        val runtime = runtimes(api) ?: return BenchRecord(
            model = artifact.model, runtime = api.runtime,
            precision = meta?.precision ?: "unknown", family = meta?.family, task = meta?.task,
            baseline = meta?.baseline ?: false, backend = delegate.backend, threads = options.threads,
            batch = meta?.input?.batch ?: 1, inputShape = meta?.input?.shape, params = meta?.params, macs = meta?.macs,
            status = BenchRecord.Status.UNAVAILABLE,
            reason = "this build of the app has no LiteRT ${if (api == LiteRtApi.COMPILED) "CompiledModel (LiteRT 2.x)" else "Interpreter"}: " +
                "install the benchmark app's litert2 build (README: LiteRT 1.x and 2.x)",
        )
        // The GPU delegate's precision option is the Interpreter's; CompiledModel's GPU runs at LiteRT's default.
        val gpuNote = if (api == LiteRtApi.COMPILED) {
            if (delegate == Delegate.GPU) "CompiledModel's GPU accelerator at LiteRT's default precision (not set by the harness; may compute in fp16)" else null
        } else {
            GpuPrecision.note(meta?.precision, delegate, options.gpuPrecision)
        }
        val notes = runtime.notes(delegate) + listOfNotNull(gpuNote) +
            if (meta == null) listOf("no edgerep metadata: params, MACs and precision unknown") else emptyList()
        val precision = if (api == LiteRtApi.COMPILED) {
            meta?.precision ?: "unknown"
        } else {
            GpuPrecision.recordPrecision(meta?.precision, delegate, options.gpuPrecision)
        }
        val extra = buildMap<String, Any?> {
            if (notes.isNotEmpty()) put("notes", notes)
            if (precision != (meta?.precision ?: "unknown")) put("artifact_precision", meta?.precision)
        }
        val base = BenchRecord(
            model = artifact.model,
            runtime = runtime.name,
            precision = precision,
            family = meta?.family,
            task = meta?.task,
            baseline = meta?.baseline ?: false,
            runtimeVersion = runtime.version,
            backend = delegate.backend,
            threads = options.threads,
            batch = meta?.input?.batch ?: 1,
            inputShape = meta?.input?.shape,
            artifactBytes = artifact.file.length(),
            params = meta?.params,
            macs = meta?.macs,
            extra = extra.ifEmpty { null },
        )
        runtime.unavailableReason(delegate)?.let { reason ->
            return base.copy(status = BenchRecord.Status.UNAVAILABLE, reason = reason)
        }
        val cooled = cooldown?.invoke()
        val reset = memory.resetPeak()
        val before = memory.status()
        val stateBefore = if (monitor === DeviceMonitor.NONE) null else monitor.state()
        fun conditions() = stateBefore?.let {
            Conditions(before = it, after = monitor.state(), cooldownS = cooled?.waitedS, cooled = cooled?.cooled)
        }
        return try {
            val measurement = runner.run(runtime.loader(artifact, delegate, options.threads, options.gpuPrecision), options.protocol, onRound)
            val after = memory.status()
            base.copy(
                conditions = conditions(),
                loadMs = measurement.loadMs,
                firstMs = measurement.firstMs,
                peakMemoryBytes = peakMemoryGrowth(before, after, reset),
                samplesMs = if (options.keepSamples) measurement.rounds else null,
            ).withSummary(Statistics.summarize(measurement.rounds, options.protocol.trim))
        } catch (e: Exception) {
            base.copy(status = BenchRecord.Status.FAILED, reason = oneLine(e), conditions = conditions())
        }
    }

    private fun oneLine(e: Exception): String {
        val message = e.message?.lineSequence()?.firstOrNull { it.isNotBlank() }?.trim()
        return if (message.isNullOrEmpty()) e::class.java.simpleName else "${e::class.java.simpleName}: $message"
    }
}
