import Foundation
import XCTest

@testable import EdgeRepBenchCore

/// The protocol loop on the scripted clocks of protocol.json: the same loads, predictions, samples
/// and statistics as edgerep's `measure`.
final class ProtocolVectorTests: XCTestCase {
    func testEveryCaseMeasuresWhatEdgerepMeasures() throws {
        let file = try VectorFile<ProtocolCase>.load("protocol")
        XCTAssertEqual(file.section, "protocol")
        XCTAssertGreaterThanOrEqual(file.cases.count, 4, "protocol.json lost its cases")
        for vector in file.cases {
            let spec = try BenchProtocol(
                name: "vector", rounds: vector.spec.rounds, iterations: vector.spec.iterations,
                warmup: vector.spec.warmup, trim: vector.spec.trim, reload: vector.spec.reload)
            let model = ScriptedModel(loadNs: vector.loadNs, predictNs: vector.predictNs)
            let run = try ProtocolRunner(spec, clock: model.clock).run(load: model.load)
            let expected = vector.expected
            XCTAssertEqual(model.loads, expected.loads, "\(vector.name): loads")
            XCTAssertEqual(model.predictions, expected.predictions, "\(vector.name): predictions")
            XCTAssertEqual(run.loadMs, expected.loadMs, "\(vector.name): load_ms")
            XCTAssertEqual(run.firstMs, expected.firstMs, "\(vector.name): first_ms")
            XCTAssertEqual(run.rounds, expected.samplesMs, "\(vector.name): samples_ms")
            let summary = try Statistics.summarize(run.rounds, trim: spec.trim)
            let reference = expected.summary
            XCTAssertEqual(summary.medianMs, reference.medianMs, "\(vector.name): median_ms")
            XCTAssertEqual(summary.meanMs, reference.meanMs, "\(vector.name): mean_ms")
            XCTAssertEqual(summary.lowMs, reference.lowMs, "\(vector.name): low_ms")
            XCTAssertEqual(summary.highMs, reference.highMs, "\(vector.name): high_ms")
            XCTAssertEqual(summary.p90Ms, reference.p90Ms, "\(vector.name): p90_ms")
            XCTAssertEqual(summary.p95Ms, reference.p95Ms, "\(vector.name): p95_ms")
            XCTAssertEqual(summary.p99Ms, reference.p99Ms, "\(vector.name): p99_ms")
            XCTAssertEqual(summary.stdMs, reference.stdMs, "\(vector.name): std_ms")
            XCTAssertEqual(summary.minMs, reference.minMs, "\(vector.name): min_ms")
            XCTAssertEqual(summary.maxMs, reference.maxMs, "\(vector.name): max_ms")
            XCTAssertEqual(summary.iterations, reference.iterations, "\(vector.name): iterations")
            XCTAssertEqual(summary.kept, reference.kept, "\(vector.name): kept")
        }
    }

    func testProgressRunsOutsideTheTimedRegionsAndCanStopTheRun() throws {
        let spec = try BenchProtocol(name: "t", rounds: 3, iterations: 2, warmup: 0, trim: 0)
        let model = ScriptedModel(loadNs: [5_000_000], predictNs: [1_000_000])
        var seen: [MeasureProgress] = []
        let run = try ProtocolRunner(spec, clock: model.clock).run(load: model.load) { seen.append($0) }
        XCTAssertEqual(run.rounds, [[1.0, 1.0], [1.0, 1.0], [1.0, 1.0]])
        XCTAssertEqual(seen.count, 6)
        XCTAssertEqual(seen.last, MeasureProgress(round: 2, rounds: 3, phase: .roundFinished))
        XCTAssertEqual(seen.last?.fraction, 1)

        let stopped = ScriptedModel(loadNs: [5_000_000], predictNs: [1_000_000])
        XCTAssertThrowsError(
            try ProtocolRunner(spec, clock: stopped.clock).run(load: stopped.load) { progress in
                if progress.round == 1 { throw CancellationError() }
            }
        ) { error in
            XCTAssertTrue(error is CancellationError)
        }
        XCTAssertEqual(stopped.loads, 1, "the second round must not load after the stop")
    }
}
