import Foundation

/// The fields of a record that describe the model rather than the run: from the artifact's edgerep
/// metadata, or from its file name for a model exported by another tool.
public struct ModelIdentity: Equatable, Sendable {
    /// The tasks the report schema knows.
    public static let tasks: Set<String> = ["classification", "face-embedding"]

    public var model: String
    public var family: String?
    public var task: String?
    public var baseline: Bool
    public var form: BenchRecord.Form
    /// `fp32`, `fp16`, `int8`, or `unknown` without edgerep metadata.
    public var precision: String
    public var params: Int?
    public var macs: Int?
    public var inputShape: [Int]?
    public var batch: Int
    /// Whether the fields come from edgerep metadata.
    public var fromMetadata: Bool

    /// The identity of the model at `fileName` (e.g. `fastvit_t8.mlpackage`), from `metadata` when
    /// the model carries edgerep metadata.
    public init(metadata: ArtifactMetadata?, fileName: String) {
        guard let metadata else {
            model = Self.stem(of: fileName)
            baseline = false
            form = .fused
            precision = "unknown"
            batch = 1
            fromMetadata = false
            return
        }
        model = metadata.model
        family = metadata.family
        task = metadata.task.flatMap { Self.tasks.contains($0) ? $0 : nil }
        baseline = metadata.baseline
        form = metadata.fused ? .fused : .unfused
        precision = metadata.precision ?? "unknown"
        params = metadata.params
        macs = metadata.macs
        inputShape = metadata.input?.shape
        batch = metadata.input?.shape.first.map { Swift.max($0, 1) } ?? 1
        fromMetadata = true
    }

    /// `dir/fastvit_t8.mlpackage` -> `fastvit_t8`.
    public static func stem(of fileName: String) -> String {
        let last = fileName.split(separator: "/").last.map(String.init) ?? fileName
        guard let dot = last.lastIndex(of: "."), dot != last.startIndex else {
            return last.isEmpty ? "model" : last
        }
        return String(last[..<dot])
    }

    /// A record of this model with the identity fields set.
    public func record(runtime: String, backend: String?, status: BenchRecord.Status = .ok,
                       reason: String? = nil) -> BenchRecord {
        var record = BenchRecord(
            model: model, form: form, runtime: runtime, precision: precision, status: status, reason: reason)
        record.family = family
        record.task = task
        record.baseline = baseline
        record.backend = backend
        record.params = params
        record.macs = macs
        record.inputShape = inputShape
        record.batch = batch
        return record
    }
}

extension BenchRecord {
    /// A record of a measured run: identity, timings and statistics (as edgerep's runners fill it).
    ///
    /// `keepSamples` stores the raw samples (`samples_ms`). Throws when the samples cannot be
    /// summarized (see `Statistics.summarize`).
    public static func measured(
        _ identity: ModelIdentity, runtime: String, runtimeVersion: String?, backend: String?,
        run: MeasuredRun, benchProtocol: BenchProtocol, keepSamples: Bool = false,
        artifactBytes: Int? = nil, extra: [String: JSONValue]? = nil
    ) throws -> BenchRecord {
        var record = identity.record(runtime: runtime, backend: backend)
        record.runtimeVersion = runtimeVersion
        record.loadMs = run.loadMs
        record.firstMs = run.firstMs
        let summary = try Statistics.summarize(run.rounds, trim: benchProtocol.trim)
        record.setSummary(summary)
        record.artifactBytes = artifactBytes
        record.samplesMs = keepSamples ? run.rounds : nil
        record.extra = extra
        return record
    }

    /// A record of a run that failed, with the reason.
    public static func failed(
        _ identity: ModelIdentity, runtime: String, runtimeVersion: String?, backend: String?, reason: String
    ) -> BenchRecord {
        var record = identity.record(runtime: runtime, backend: backend, status: .failed,
                                     reason: reason.isEmpty ? "failed without a reason" : reason)
        record.runtimeVersion = runtimeVersion
        return record
    }
}
