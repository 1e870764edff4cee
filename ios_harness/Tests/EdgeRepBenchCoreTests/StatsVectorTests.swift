import Foundation
import XCTest

@testable import EdgeRepBenchCore

/// The statistics of every case of stats.json (written by `python -m tools.conformance`), bit for bit,
/// and the record fields exactly as edgerep's report stores them.
final class StatsVectorTests: XCTestCase {
    private func cases() throws -> [StatsCase] {
        let file = try VectorFile<StatsCase>.load("stats")
        XCTAssertEqual(file.schema, "edgerep.vectors/1")
        XCTAssertEqual(file.section, "stats")
        return file.cases
    }

    private func record(for vector: StatsCase, summary: Summary) -> BenchRecord {
        var record = BenchRecord(model: "vector", runtime: "vector", precision: "fp32")
        record.macs = vector.macs
        record.ceilingGmacsPerS = vector.ceilingGmacsPerS
        record.setSummary(summary)
        return record
    }

    func testEveryCaseGivesTheReferenceStatisticsExactly() throws {
        let valid = try cases().filter { $0.error == nil }
        XCTAssertGreaterThanOrEqual(valid.count, 9, "stats.json lost its cases")
        for vector in valid {
            let expected = try XCTUnwrap(vector.expected, vector.name)
            let summary = try Statistics.summarize(vector.samplesMs, trim: vector.trim)
            XCTAssertEqual(summary.medianMs, expected.medianMs, "\(vector.name): median_ms")
            XCTAssertEqual(summary.meanMs, expected.meanMs, "\(vector.name): mean_ms")
            XCTAssertEqual(summary.lowMs, expected.lowMs, "\(vector.name): low_ms")
            XCTAssertEqual(summary.highMs, expected.highMs, "\(vector.name): high_ms")
            XCTAssertEqual(summary.p90Ms, expected.p90Ms, "\(vector.name): p90_ms")
            XCTAssertEqual(summary.p95Ms, expected.p95Ms, "\(vector.name): p95_ms")
            XCTAssertEqual(summary.p99Ms, expected.p99Ms, "\(vector.name): p99_ms")
            XCTAssertEqual(summary.stdMs, expected.stdMs, "\(vector.name): std_ms")
            XCTAssertEqual(summary.minMs, expected.minMs, "\(vector.name): min_ms")
            XCTAssertEqual(summary.maxMs, expected.maxMs, "\(vector.name): max_ms")
            XCTAssertEqual(summary.iterations, expected.iterations, "\(vector.name): iterations")
            XCTAssertEqual(summary.kept, expected.kept, "\(vector.name): kept")
            let derived = record(for: vector, summary: summary)
            XCTAssertEqual(derived.gmacsPerS, expected.gmacsPerS, "\(vector.name): gmacs_per_s")
            XCTAssertEqual(derived.efficiency, expected.efficiency, "\(vector.name): efficiency")
        }
    }

    func testRecordFieldsAreWrittenAsTheReportStoresThem() throws {
        let valid = try cases().filter { $0.error == nil }
        for vector in valid {
            let expectedRecord = try XCTUnwrap(vector.expectedRecord, vector.name)
            let summary = try Statistics.summarize(vector.samplesMs, trim: vector.trim)
            let written = try JSONValue.parse(JSONEncoder().encode(record(for: vector, summary: summary)))
            XCTAssertFalse(expectedRecord.isEmpty)
            for (field, value) in expectedRecord {
                // The report omits a field that is null.
                XCTAssertEqual(written[field] ?? .null, value, "\(vector.name): \(field)")
            }
        }
    }

    func testRefusedCasesThrowTheNamedError() throws {
        let refused = try cases().filter { $0.error != nil }
        XCTAssertEqual(Set(refused.compactMap(\.error)), ["trim", "empty"])
        for vector in refused {
            let kind: BenchError.Kind = vector.error == "trim" ? .trimTooLarge : .emptySamples
            XCTAssertThrowsError(try Statistics.summarize(vector.samplesMs, trim: vector.trim), vector.name) { error in
                XCTAssertEqual((error as? BenchError)?.kind, kind, vector.name)
            }
        }
    }

    func testDescriptionStatesTheRulesTheseTestsAssume() throws {
        let file = try VectorFile<StatsCase>.load("stats")
        for rule in ["left to right", "population standard deviation", "half-even", "(n-1)*q/100"] {
            XCTAssertTrue(file.description.contains(rule), "stats.json no longer says '\(rule)'")
        }
    }
}
