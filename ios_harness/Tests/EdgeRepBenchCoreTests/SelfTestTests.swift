import Foundation
import XCTest

@testable import EdgeRepBenchCore

/// A clock that advances `step` nanoseconds at every reading.
final class SteppingClock: MonotonicClock {
    private var current: UInt64 = 0
    let step: UInt64

    init(step: UInt64) { self.step = step }

    func now() -> UInt64 {
        current += step
        return current
    }
}

final class SelfTestTests: XCTestCase {
    func testMatrixProductIsTheProductWorkedByHand() throws {
        // lhs = (i % 7) - 3 = [[-3, -2, -1], [0, 1, 2], [3, -3, -2]]
        // rhs = (i % 5) - 2 = [[-2, -1, 0], [1, 2, -2], [-1, 0, 1]]
        let workload = try MatrixProductWorkload(size: 3)
        try workload.predict()
        XCTAssertEqual(workload.product, [5, -1, 3, -1, 2, 0, -7, -9, 4])
        XCTAssertEqual(workload.macs, 27)
        XCTAssertNoThrow(try workload.verify())
        XCTAssertThrowsError(try MatrixProductWorkload(size: 0))
    }

    func testSelfTestReportHoldsOneMeasuredRecordThatRoundTrips() throws {
        let spec = try BenchProtocol(name: "custom", rounds: 2, iterations: 4, warmup: 1, trim: 1)
        var machine = MachineInfo(kind: .host, name: "ci", os: "Linux")
        machine.cores = 2
        // Every clock reading advances 0.5 ms: each load and prediction lasts exactly 0.5 ms.
        let report = try SelfTest.report(
            size: 8, benchProtocol: spec, keepSamples: true, clock: SteppingClock(step: 500_000), machine: machine,
            tool: ToolInfo(name: "edgerep-bench", version: "0"), created: "2026-12-08T00:00:00Z", swiftVersion: "6.0")
        XCTAssertEqual(report.schema, BenchReport.schemaID)
        let record = try XCTUnwrap(report.records.first)
        XCTAssertEqual(report.records.count, 1)
        XCTAssertEqual(record.status, .ok)
        XCTAssertEqual(record.model, "swift_matmul_8")
        XCTAssertEqual(record.runtime, "swift")
        XCTAssertEqual(record.macs, 512)
        XCTAssertEqual(record.threads, 1)
        XCTAssertEqual(record.loadMs, 0.5)
        XCTAssertEqual(record.samplesMs, [[0.5, 0.5, 0.5, 0.5], [0.5, 0.5, 0.5, 0.5]])
        XCTAssertEqual(record.medianMs, 0.5)
        XCTAssertEqual(record.iterations, 8)
        XCTAssertEqual(record.kept, 4)
        XCTAssertEqual(record.gmacsPerS, 512 / 0.5e-3 / 1e9)
        let decoded = try ReportFile.decode(ReportFile.encode(report))
        XCTAssertEqual(decoded.records.map(\.model), ["swift_matmul_8"])
        XCTAssertEqual(decoded.runtimes, ["swift": "6.0"])
    }

    func testSelfTestOptionRefusesModels() throws {
        XCTAssertTrue(try BenchOptions.parse(["--selftest", "--quick"]).selfTest)
        XCTAssertThrowsError(try BenchOptions.parse(["--selftest", "m.mlpackage"])) { error in
            XCTAssertEqual((error as? BenchError)?.kind, .invalidOption)
        }
    }
}
