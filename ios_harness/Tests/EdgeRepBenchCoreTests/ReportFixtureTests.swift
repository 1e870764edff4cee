import Foundation
import XCTest

@testable import EdgeRepBenchCore

/// A report written by the same code path as the app's, from fixed inputs, against the committed
/// Resources/fixtures/swift_report.json, which the Python suite reads with `edgerep bench ingest`
/// (tests/test_ios_harness.py): what this package writes is what edgerep reads.
final class ReportFixtureTests: XCTestCase {
    /// The fixed inputs: fastvit_t8's real export metadata, a scripted run, a fixed machine and time.
    static func fixtureReport() throws -> BenchReport {
        let metadata = try ArtifactMetadata.parse(TestResources.fastViTMetadata())
        let identity = ModelIdentity(metadata: metadata, fileName: "fastvit_t8.mlpackage")
        let spec = try BenchProtocol(name: "custom", rounds: 3, iterations: 6, warmup: 1, trim: 1)
        let model = ScriptedModel(
            loadNs: [41_200_000, 12_500_000],
            predictNs: [812_300, 790_000, 805_500, 2_100_000, 799_900, 801_200, 788_800, 803_400])
        let run = try ProtocolRunner(spec, clock: model.clock).run(load: model.load)
        let plan = ComputePlanSummary(operations: [
            PlannedOperation(operatorName: "const", preferred: nil, supported: [], costWeight: nil),
            PlannedOperation(operatorName: "conv", preferred: .neuralEngine, supported: [.neuralEngine, .gpu, .cpu], costWeight: 0.5),
            PlannedOperation(operatorName: "conv", preferred: .neuralEngine, supported: [.neuralEngine, .cpu], costWeight: 0.25),
            PlannedOperation(operatorName: "gelu", preferred: .gpu, supported: [.gpu, .cpu, .neuralEngine], costWeight: 0.125),
            PlannedOperation(operatorName: "reduce_mean", preferred: .cpu, supported: [.cpu], costWeight: 0.0625),
            PlannedOperation(operatorName: "linear", preferred: nil, supported: [], costWeight: nil),
        ])
        var measured = try BenchRecord.measured(
            identity, runtime: "coreml", runtimeVersion: "iOS 18.1", backend: ComputeUnits.all.backend,
            run: run, benchProtocol: spec, keepSamples: true, artifactBytes: 8_128_000,
            extra: ["compile_ms": 1234.5, "compute_units": .string(ComputeUnits.all.rawValue), "compute_plan": plan.json])
        measured.conditions = Conditions(
            before: DeviceState(thermalState: "nominal", lowPowerMode: false, batteryLevel: 0.85, charging: true),
            after: DeviceState(thermalState: "fair", lowPowerMode: false, batteryLevel: 0.84, charging: true),
            cooldownS: 15, cooled: true)
        let failed = BenchRecord.failed(
            identity, runtime: "coreml", runtimeVersion: "iOS 18.1", backend: ComputeUnits.cpuAndNeuralEngine.backend,
            reason: "MLModel load failed: example of a failed record")
        var machine = MachineInfo(kind: .device, name: "iPhone 15 Pro", os: "iOS")
        machine.osVersion = "18.1"
        machine.arch = "arm64"
        machine.cores = 6
        machine.memoryBytes = 8_589_934_592
        machine.manufacturer = "Apple"
        machine.model = "iPhone16,1"
        return BenchReport(
            created: UTCTimestamp.string(secondsSince1970: 1_795_000_000), tool: .ios, machine: machine,
            benchProtocol: spec, runtimes: ["coreml": "iOS 18.1"], records: [measured, failed],
            extra: ["fixture": "ios_harness/Tests/EdgeRepBenchCoreTests/ReportFixtureTests.swift"])
    }

    func testWrittenReportEqualsTheCommittedFixture() throws {
        // `linux-test.sh --update-fixture` sets this to refresh the committed file from this code.
        if let path = ProcessInfo.processInfo.environment["EDGEREP_UPDATE_FIXTURE"], !path.isEmpty {
            try ReportFile.write(ReportFile.encode(Self.fixtureReport()), to: URL(fileURLWithPath: path), force: true)
        }
        let written = try JSONValue.parse(ReportFile.encode(Self.fixtureReport()))
        let committed = try JSONValue.parse(TestResources.data("swift_report.json", in: "fixtures"))
        let differences = jsonDifferences(written, committed)
        XCTAssertEqual(differences, [], "the report differs from the fixture:\n" + differences.joined(separator: "\n"))
    }

    func testReportDecodesBackToTheSameValues() throws {
        let report = try Self.fixtureReport()
        let decoded = try ReportFile.decode(ReportFile.encode(report))
        XCTAssertEqual(decoded.schema, BenchReport.schemaID)
        XCTAssertEqual(decoded.benchProtocol, report.benchProtocol)
        XCTAssertEqual(decoded.machine, report.machine)
        XCTAssertEqual(decoded.records.map(\.status), [.ok, .failed])
        // Encoding rounds to the report's resolution: decoding gives the rounded figures.
        let medianMs = try XCTUnwrap(report.records[0].medianMs)
        XCTAssertEqual(decoded.records[0].medianMs, ReportRounding.rounded(medianMs, places: 4))
        XCTAssertEqual(decoded.records[0].samplesMs, report.records[0].samplesMs)
    }

    func testEncodingWritesOnlySchemaFieldsAndOmitsNil() throws {
        let report = try Self.fixtureReport()
        let written = try JSONValue.parse(ReportFile.encode(report))
        guard case .object(let top) = written, case .array(let records)? = top["records"],
              case .object(let failed)? = records.last
        else {
            return XCTFail("a report is an object with a records array")
        }
        XCTAssertEqual(Set(top.keys), ["schema", "created", "tool", "machine", "protocol", "runtimes", "records", "extra"])
        XCTAssertNil(failed["median_ms"], "a failed record has no statistics")
        XCTAssertNil(failed["threads"], "nil fields are omitted, not written as null")
        XCTAssertEqual(failed["reason"], .string("MLModel load failed: example of a failed record"))
    }

    func testNonFiniteFiguresAreRefusedNotWritten() throws {
        var report = try Self.fixtureReport()
        report.records[0].medianMs = .nan
        XCTAssertThrowsError(try ReportFile.encode(report))
    }
}
