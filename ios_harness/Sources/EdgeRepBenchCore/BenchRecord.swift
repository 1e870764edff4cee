import Foundation

/// One model in one form on one runtime and compute-unit setting: a record of the `edgerep.bench/2`
/// report (edgerep/bench/report.schema.json, `$defs/record`).
///
/// Times are in milliseconds. Encoding writes exactly the schema's fields, omits the ones that are
/// nil, and rounds floats as edgerep's `Record.to_dict` does (`ReportRounding`).
public struct BenchRecord: Equatable, Sendable {
    public enum Status: String, Codable, Sendable {
        case ok, unavailable, failed
    }

    /// Whether the single-branch inference form ran.
    public enum Form: String, Codable, Sendable {
        case fused, unfused
    }

    public var model: String
    public var form: Form
    public var runtime: String
    public var precision: String
    public var status: Status
    /// Why the record is unavailable or failed.
    public var reason: String?
    public var family: String?
    /// `classification` or `face-embedding` (the schema allows no other value).
    public var task: String?
    public var baseline: Bool
    public var runtimeVersion: String?
    /// Execution provider, delegate or compute units (`ALL`, `CPU_ONLY`, `CPU_AND_GPU`, `CPU_AND_NE`).
    public var backend: String?
    public var threads: Int?
    public var batch: Int
    public var inputShape: [Int]?
    public var loadMs: Double?
    public var firstMs: Double?
    public var medianMs: Double?
    public var meanMs: Double?
    public var lowMs: Double?
    public var highMs: Double?
    public var p90Ms: Double?
    public var p95Ms: Double?
    public var p99Ms: Double?
    public var stdMs: Double?
    public var minMs: Double?
    public var maxMs: Double?
    public var iterations: Int?
    public var kept: Int?
    public var peakMemoryBytes: Int?
    public var artifactBytes: Int?
    public var params: Int?
    /// Multiply-accumulates of one prediction of the form that ran.
    public var macs: Int?
    public var gmacsPerS: Double?
    public var ceilingGmacsPerS: Double?
    public var efficiency: Double?
    /// Raw timed samples, one array per round (optional in the report).
    public var samplesMs: [[Double]]?
    /// The device's state around the record and the cool-down before it (nil: not observed).
    public var conditions: Conditions?
    public var extra: [String: JSONValue]?

    /// A record with the required fields; set the others as they become known.
    public init(
        model: String, form: Form = .fused, runtime: String, precision: String, status: Status = .ok,
        reason: String? = nil
    ) {
        self.model = model
        self.form = form
        self.runtime = runtime
        self.precision = precision
        self.status = status
        self.reason = reason
        self.baseline = false
        self.batch = 1
    }

    /// Sets the statistics and the figures derived from them: GMAC/s from `macs` and the median,
    /// efficiency from GMAC/s and `ceilingGmacsPerS` (as edgerep's `Record.set_summary`).
    public mutating func setSummary(_ summary: Summary) {
        medianMs = summary.medianMs
        meanMs = summary.meanMs
        lowMs = summary.lowMs
        highMs = summary.highMs
        p90Ms = summary.p90Ms
        p95Ms = summary.p95Ms
        p99Ms = summary.p99Ms
        stdMs = summary.stdMs
        minMs = summary.minMs
        maxMs = summary.maxMs
        iterations = summary.iterations
        kept = summary.kept
        if let macs, macs != 0, summary.medianMs != 0 {
            gmacsPerS = Double(macs) / (summary.medianMs * 1e-3) / 1e9
        }
        if let gmacsPerS, let ceilingGmacsPerS, ceilingGmacsPerS != 0 {
            efficiency = gmacsPerS / ceilingGmacsPerS
        }
    }
}

extension BenchRecord: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case model
        case family
        case task
        case baseline
        case form
        case runtime
        case runtimeVersion = "runtime_version"
        case backend
        case precision
        case threads
        case batch
        case inputShape = "input_shape"
        case status
        case reason
        case loadMs = "load_ms"
        case firstMs = "first_ms"
        case medianMs = "median_ms"
        case meanMs = "mean_ms"
        case lowMs = "low_ms"
        case highMs = "high_ms"
        case p90Ms = "p90_ms"
        case p95Ms = "p95_ms"
        case p99Ms = "p99_ms"
        case stdMs = "std_ms"
        case minMs = "min_ms"
        case maxMs = "max_ms"
        case iterations
        case kept
        case peakMemoryBytes = "peak_memory_bytes"
        case artifactBytes = "artifact_bytes"
        case params
        case macs
        case gmacsPerS = "gmacs_per_s"
        case ceilingGmacsPerS = "ceiling_gmacs_per_s"
        case efficiency
        case samplesMs = "samples_ms"
        case conditions
        case extra
    }

    public init(from decoder: any Decoder) throws {
        let values = try decoder.container(keyedBy: CodingKeys.self)
        model = try values.decode(String.self, forKey: .model)
        form = try values.decode(Form.self, forKey: .form)
        runtime = try values.decode(String.self, forKey: .runtime)
        precision = try values.decode(String.self, forKey: .precision)
        status = try values.decode(Status.self, forKey: .status)
        reason = try values.decodeIfPresent(String.self, forKey: .reason)
        family = try values.decodeIfPresent(String.self, forKey: .family)
        task = try values.decodeIfPresent(String.self, forKey: .task)
        baseline = try values.decodeIfPresent(Bool.self, forKey: .baseline) ?? false
        runtimeVersion = try values.decodeIfPresent(String.self, forKey: .runtimeVersion)
        backend = try values.decodeIfPresent(String.self, forKey: .backend)
        threads = try values.decodeIfPresent(Int.self, forKey: .threads)
        batch = try values.decodeIfPresent(Int.self, forKey: .batch) ?? 1
        inputShape = try values.decodeIfPresent([Int].self, forKey: .inputShape)
        loadMs = try values.decodeIfPresent(Double.self, forKey: .loadMs)
        firstMs = try values.decodeIfPresent(Double.self, forKey: .firstMs)
        medianMs = try values.decodeIfPresent(Double.self, forKey: .medianMs)
        meanMs = try values.decodeIfPresent(Double.self, forKey: .meanMs)
        lowMs = try values.decodeIfPresent(Double.self, forKey: .lowMs)
        highMs = try values.decodeIfPresent(Double.self, forKey: .highMs)
        p90Ms = try values.decodeIfPresent(Double.self, forKey: .p90Ms)
        p95Ms = try values.decodeIfPresent(Double.self, forKey: .p95Ms)
        p99Ms = try values.decodeIfPresent(Double.self, forKey: .p99Ms)
        stdMs = try values.decodeIfPresent(Double.self, forKey: .stdMs)
        minMs = try values.decodeIfPresent(Double.self, forKey: .minMs)
        maxMs = try values.decodeIfPresent(Double.self, forKey: .maxMs)
        iterations = try values.decodeIfPresent(Int.self, forKey: .iterations)
        kept = try values.decodeIfPresent(Int.self, forKey: .kept)
        peakMemoryBytes = try values.decodeIfPresent(Int.self, forKey: .peakMemoryBytes)
        artifactBytes = try values.decodeIfPresent(Int.self, forKey: .artifactBytes)
        params = try values.decodeIfPresent(Int.self, forKey: .params)
        macs = try values.decodeIfPresent(Int.self, forKey: .macs)
        gmacsPerS = try values.decodeIfPresent(Double.self, forKey: .gmacsPerS)
        ceilingGmacsPerS = try values.decodeIfPresent(Double.self, forKey: .ceilingGmacsPerS)
        efficiency = try values.decodeIfPresent(Double.self, forKey: .efficiency)
        samplesMs = try values.decodeIfPresent([[Double]].self, forKey: .samplesMs)
        conditions = try values.decodeIfPresent(Conditions.self, forKey: .conditions)
        extra = try values.decodeIfPresent([String: JSONValue].self, forKey: .extra)
    }

    public func encode(to encoder: any Encoder) throws {
        var values = encoder.container(keyedBy: CodingKeys.self)
        try values.encode(model, forKey: .model)
        try values.encodeIfPresent(family, forKey: .family)
        try values.encodeIfPresent(task, forKey: .task)
        try values.encode(baseline, forKey: .baseline)
        try values.encode(form, forKey: .form)
        try values.encode(runtime, forKey: .runtime)
        try values.encodeIfPresent(runtimeVersion, forKey: .runtimeVersion)
        try values.encodeIfPresent(backend, forKey: .backend)
        try values.encode(precision, forKey: .precision)
        try values.encodeIfPresent(threads, forKey: .threads)
        try values.encode(batch, forKey: .batch)
        try values.encodeIfPresent(inputShape, forKey: .inputShape)
        try values.encode(status, forKey: .status)
        try values.encodeIfPresent(reason, forKey: .reason)
        let floats: [(CodingKeys, Double?)] = [
            (.loadMs, loadMs), (.firstMs, firstMs), (.medianMs, medianMs), (.meanMs, meanMs),
            (.lowMs, lowMs), (.highMs, highMs), (.p90Ms, p90Ms), (.p95Ms, p95Ms), (.p99Ms, p99Ms), (.stdMs, stdMs), (.minMs, minMs),
            (.maxMs, maxMs), (.gmacsPerS, gmacsPerS), (.ceilingGmacsPerS, ceilingGmacsPerS),
            (.efficiency, efficiency),
        ]
        for (key, value) in floats {
            try values.encodeIfPresent(value.map { ReportRounding.rounded($0, forField: key.rawValue) }, forKey: key)
        }
        try values.encodeIfPresent(iterations, forKey: .iterations)
        try values.encodeIfPresent(kept, forKey: .kept)
        try values.encodeIfPresent(peakMemoryBytes, forKey: .peakMemoryBytes)
        try values.encodeIfPresent(artifactBytes, forKey: .artifactBytes)
        try values.encodeIfPresent(params, forKey: .params)
        try values.encodeIfPresent(macs, forKey: .macs)
        let samples = samplesMs?.map { roundSamples in
            roundSamples.map { ReportRounding.rounded($0, forField: CodingKeys.samplesMs.rawValue) }
        }
        try values.encodeIfPresent(samples, forKey: .samplesMs)
        try values.encodeIfPresent(conditions, forKey: .conditions)
        try values.encodeIfPresent(extra, forKey: .extra)
    }
}
