#if canImport(CoreML)
@preconcurrency import CoreML
import EdgeRepBenchCore
import Foundation

/// Runs edgerep's protocol on Core ML models and writes `edgerep.bench/2` reports: what the app, the
/// command line and the device-farm XCTest share.
///
/// Per model: compile on the device (once), then per compute-unit setting: the protocol on a
/// dedicated thread (load timed as `load_ms`, the first prediction as `first_ms`), then, where the OS
/// has it, the per-operation compute-device plan into the record's `extra.compute_plan`. A model that
/// fails gives a failed record with the reason; the run goes on. Each record carries the device's
/// state before and after it (`conditions`: thermal state, low-power mode, battery); with a cool-down,
/// each record after the first waits (up to `cooldownSeconds`) for the thermal state to return to the
/// run's starting state.
public struct CoreMLBenchmark: Sendable {
    public struct Settings: Equatable, Sendable {
        public var benchProtocol: BenchProtocol
        /// Store the raw samples (`samples_ms`).
        public var keepSamples: Bool
        /// Read `MLComputePlan` (iOS 17.4 / macOS 14.4) into `extra.compute_plan`.
        public var computePlan: Bool
        /// The longest wait before a record for the device to cool (0: none).
        public var cooldownSeconds: Double

        public init(benchProtocol: BenchProtocol = .standard, keepSamples: Bool = false, computePlan: Bool = true,
                    cooldownSeconds: Double = 0) {
            self.benchProtocol = benchProtocol
            self.keepSamples = keepSamples
            self.computePlan = computePlan
            self.cooldownSeconds = cooldownSeconds
        }

        public init(options: BenchOptions) {
            self.init(benchProtocol: options.benchProtocol, keepSamples: options.keepSamples,
                      computePlan: options.computePlan, cooldownSeconds: options.cooldownSeconds)
        }
    }

    public typealias ProgressHandler = @Sendable (BenchProgress) -> Void

    /// The record's `runtime`.
    public static let runtime = "coreml"

    public let settings: Settings
    public let tool: ToolInfo
    public let monitor: any DeviceMonitor

    public init(settings: Settings, tool: ToolInfo, monitor: any DeviceMonitor = AppleDeviceMonitor()) {
        self.settings = settings
        self.tool = tool
        self.monitor = monitor
    }

    /// Every model on every compute-unit setting, in that order; one record per pair. Stops early
    /// (with the records so far and `extra.cancelled`) when the task is cancelled.
    public func run(
        models: [URL], computeUnits: [ComputeUnits], machine: MachineInfo,
        progress: @escaping ProgressHandler = { _ in }
    ) async -> BenchReport {
        let compiler = ModelCompiler.temporary()
        defer { compiler.removeAll() }
        let jobs = models.count * computeUnits.count
        var records: [BenchRecord] = []
        var job = 0
        let start = await monitor.state()
        for model in models {
            guard !Task.isCancelled else { break }
            let fileName = model.lastPathComponent
            progress(BenchProgress(model: fileName, computeUnits: computeUnits.first ?? .all, job: job, jobs: jobs,
                                   step: .compiling))
            let compiled: CompiledModel
            do {
                compiled = try await compiler.compile(model)
            } catch {
                for units in computeUnits {
                    let record = BenchRecord.failed(
                        ModelIdentity(metadata: nil, fileName: fileName), runtime: Self.runtime,
                        runtimeVersion: DeviceInfo.coreMLVersion, backend: units.backend,
                        reason: "compiling \(fileName) failed: \(Self.describe(error))")
                    records.append(record)
                    progress(BenchProgress(model: fileName, computeUnits: units, job: job, jobs: jobs, step: .finished(record)))
                    job += 1
                }
                continue
            }
            let artifactBytes = try? ModelFiles.sizeInBytes(of: model)
            for units in computeUnits {
                guard !Task.isCancelled else { break }
                let current = job
                var cooled: CooldownResult?
                if current > 0 && settings.cooldownSeconds > 0 {
                    progress(BenchProgress(model: fileName, computeUnits: units, job: current, jobs: jobs, step: .coolingDown))
                    cooled = try? await Cooldown(
                        maxSeconds: settings.cooldownSeconds, clock: UptimeClock(),
                        sleep: { try await Task.sleep(nanoseconds: UInt64($0 * 1e9)) }
                    ).wait(for: monitor, target: start.thermalState)
                }
                let before = await monitor.state()
                var record = await self.record(
                    compiled, computeUnits: units, artifactBytes: artifactBytes
                ) { step in
                    progress(BenchProgress(model: fileName, computeUnits: units, job: current, jobs: jobs, step: step))
                }
                record.conditions = Conditions(
                    before: before, after: await monitor.state(), cooldownS: cooled?.waitedS, cooled: cooled?.cooled)
                records.append(record)
                progress(BenchProgress(model: fileName, computeUnits: units, job: current, jobs: jobs, step: .finished(record)))
                job += 1
            }
        }
        var extra: [String: JSONValue]?
        if Task.isCancelled {
            extra = ["cancelled": .bool(true)]
        }
        return BenchReport(
            created: UTCTimestamp.string(from: Date()), tool: tool, machine: machine,
            benchProtocol: settings.benchProtocol, runtimes: [Self.runtime: DeviceInfo.coreMLVersion],
            records: records, extra: extra)
    }

    /// One compiled model on one compute-unit setting: a measured record, or a failed one.
    public func record(
        _ compiled: CompiledModel, computeUnits units: ComputeUnits, artifactBytes: Int? = nil,
        progress: @escaping @Sendable (BenchProgress.Step) -> Void = { _ in }
    ) async -> BenchRecord {
        let fileName = compiled.source.lastPathComponent
        let spec = settings.benchProtocol
        let url = compiled.url
        let cancellation = CancellationFlag()
        let peakBefore = ProcessMemory.peakResidentBytes()
        do {
            let measured = try await withTaskCancellationHandler {
                try await BenchmarkThread.run {
                    try MeasuredModel.measure(
                        compiledURL: url, computeUnits: units, benchProtocol: spec, cancellation: cancellation
                    ) { progress(.measuring($0)) }
                }
            } onCancel: {
                cancellation.cancel()
            }
            var extra: [String: JSONValue] = ["compute_units": .string(units.rawValue)]
            if let compileMs = compiled.compileMs {
                extra["compile_ms"] = .number(ReportRounding.rounded(compileMs, places: 4))
            }
            if DeviceInfo.isSimulator {
                extra["simulator"] = .string("Simulator latencies do not predict a device's; run on a device")
            }
            if settings.computePlan {
                progress(.readingComputePlan)
                if let plan = await computePlan(url, units) {
                    extra["compute_plan"] = plan
                }
            }
            let identity = ModelIdentity(metadata: measured.metadata, fileName: fileName)
            var record = try BenchRecord.measured(
                identity, runtime: Self.runtime, runtimeVersion: DeviceInfo.coreMLVersion, backend: units.backend,
                run: measured.run, benchProtocol: spec, keepSamples: settings.keepSamples,
                artifactBytes: artifactBytes, extra: extra)
            record.peakMemoryBytes = PeakMemory.growth(before: peakBefore, after: measured.peakResidentBytes)
            return record
        } catch {
            return BenchRecord.failed(
                ModelIdentity(metadata: nil, fileName: fileName), runtime: Self.runtime,
                runtimeVersion: DeviceInfo.coreMLVersion, backend: units.backend, reason: Self.describe(error))
        }
    }

    /// `extra.compute_plan`, or nil where the OS has no `MLComputePlan`; an error is reported in it.
    private func computePlan(_ url: URL, _ units: ComputeUnits) async -> JSONValue? {
        guard #available(iOS 17.4, macOS 14.4, *) else {
            return nil
        }
        do {
            let operations = try await ComputePlanReader.operations(compiledURL: url, computeUnits: units)
            return ComputePlanSummary(operations: operations).json
        } catch {
            return ["error": .string(Self.describe(error))]
        }
    }

    /// One line for a failed record's reason.
    static func describe(_ error: any Error) -> String {
        if error is CancellationError {
            return "cancelled"
        }
        let text = error.localizedDescription
        return text.isEmpty ? String(describing: error) : text
    }
}

/// What the measurement thread hands back (Sendable values only; Core ML objects stay on the thread).
struct MeasuredModel: Sendable {
    let run: MeasuredRun
    let metadata: ArtifactMetadata?
    /// The process's peak resident memory when the protocol finished (before the model was released).
    let peakResidentBytes: UInt64?

    /// Runs the protocol on `compiledURL` synchronously on the calling thread.
    static func measure(
        compiledURL: URL, computeUnits: ComputeUnits, benchProtocol: BenchProtocol, cancellation: CancellationFlag,
        progress: (MeasureProgress) -> Void
    ) throws -> MeasuredModel {
        let inputs = InputCache()
        let runner = ProtocolRunner(benchProtocol, clock: UptimeClock())
        let run = try runner.run(
            load: { try CoreMLPredictor(compiledURL: compiledURL, computeUnits: computeUnits, inputs: inputs) },
            progress: { step in
                if cancellation.isCancelled {
                    throw CancellationError()
                }
                progress(step)
            })
        return MeasuredModel(run: run, metadata: inputs.metadata, peakResidentBytes: ProcessMemory.peakResidentBytes())
    }
}
#endif
