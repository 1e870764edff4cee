#if canImport(CoreML)
import EdgeRepBenchCore
import Foundation

/// Where a benchmark run is: which model and compute units (a "job"), and what it is doing.
public struct BenchProgress: Equatable, Sendable {
    public enum Step: Equatable, Sendable {
        case compiling
        /// Waiting for the device to cool before the job (`--cooldown`).
        case coolingDown
        case measuring(MeasureProgress)
        case readingComputePlan
        /// The job's record (measured or failed).
        case finished(BenchRecord)
    }

    /// The model's file name, e.g. `fastvit_t8.mlpackage`.
    public let model: String
    public let computeUnits: ComputeUnits
    /// Zero-based index of the job (one model on one compute-unit setting).
    public let job: Int
    public let jobs: Int
    public let step: Step

    public init(model: String, computeUnits: ComputeUnits, job: Int, jobs: Int, step: Step) {
        self.model = model
        self.computeUnits = computeUnits
        self.job = job
        self.jobs = jobs
        self.step = step
    }

    /// Share of the whole run done, 0...1.
    public var fraction: Double {
        guard jobs > 0 else { return 1 }
        let within: Double
        switch step {
        case .compiling, .coolingDown: within = 0
        case .measuring(let measure): within = 0.95 * measure.fraction
        case .readingComputePlan: within = 0.95
        case .finished: within = 1
        }
        return Swift.min(1, (Double(job) + within) / Double(jobs))
    }

    /// One line for a log or a status label.
    public var summary: String {
        let prefix = "[\(job + 1)/\(jobs)] \(model) \(computeUnits.backend)"
        switch step {
        case .compiling:
            return "\(prefix): compiling"
        case .coolingDown:
            return "\(prefix): waiting for the device to cool down"
        case .measuring(let measure):
            let phase = measure.phase == .loading ? "loading" : "done"
            return "\(prefix): round \(measure.round + 1)/\(measure.rounds) \(phase)"
        case .readingComputePlan:
            return "\(prefix): reading the compute plan"
        case .finished(let record):
            if record.status == .ok, let mean = record.meanMs {
                return "\(prefix): \(String(format: "%.3f", mean)) ms (mean of round means)"
            }
            return "\(prefix): \(record.status.rawValue): \(record.reason ?? "")"
        }
    }
}
#endif
