import Foundation

@testable import EdgeRepBenchCore

/// The golden vectors `python -m tools.conformance` writes (Resources/vectors/*.json).
struct VectorFile<Case: Decodable>: Decodable {
    let schema: String
    let section: String
    let description: String
    let cases: [Case]

    static func load(_ section: String) throws -> VectorFile<Case> {
        try JSONDecoder().decode(VectorFile<Case>.self, from: TestResources.data("\(section).json", in: "vectors"))
    }
}

/// Exact statistics (`expected` in stats.json, `summary` in protocol.json).
struct ExpectedStatistics: Decodable {
    let medianMs: Double
    let meanMs: Double
    let lowMs: Double
    let highMs: Double
    let p90Ms: Double
    let p95Ms: Double
    let p99Ms: Double
    let stdMs: Double
    let minMs: Double
    let maxMs: Double
    let iterations: Int
    let kept: Int
    let gmacsPerS: Double?
    let efficiency: Double?

    enum CodingKeys: String, CodingKey {
        case medianMs = "median_ms", meanMs = "mean_ms", lowMs = "low_ms", highMs = "high_ms", p90Ms = "p90_ms"
        case p95Ms = "p95_ms", p99Ms = "p99_ms"
        case stdMs = "std_ms", minMs = "min_ms", maxMs = "max_ms", iterations, kept
        case gmacsPerS = "gmacs_per_s", efficiency
    }
}

struct StatsCase: Decodable {
    let name: String
    let trim: Int
    let macs: Int?
    let ceilingGmacsPerS: Double?
    let samplesMs: [[Double]]
    let expected: ExpectedStatistics?
    /// The record's fields as the report stores them (rounded).
    let expectedRecord: [String: JSONValue]?
    /// `trim` or `empty` for cases that must be refused.
    let error: String?

    enum CodingKeys: String, CodingKey {
        case name, trim, macs, error, expected
        case ceilingGmacsPerS = "ceiling_gmacs_per_s", samplesMs = "samples_ms", expectedRecord = "expected_record"
    }
}

struct ProtocolCase: Decodable {
    struct Spec: Decodable {
        let rounds: Int
        let iterations: Int
        let warmup: Int
        let trim: Int
        let reload: Bool
    }

    struct Expected: Decodable {
        let loads: Int
        let predictions: Int
        let loadMs: Double
        let firstMs: Double
        let samplesMs: [[Double]]
        let summary: ExpectedStatistics

        enum CodingKeys: String, CodingKey {
            case loads, predictions, summary
            case loadMs = "load_ms", firstMs = "first_ms", samplesMs = "samples_ms"
        }
    }

    let name: String
    let spec: Spec
    let loadNs: [UInt64]
    let predictNs: [UInt64]
    let expected: Expected

    enum CodingKeys: String, CodingKey {
        case name, expected
        case spec = "protocol", loadNs = "load_ns", predictNs = "predict_ns"
    }
}
