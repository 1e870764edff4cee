#if canImport(CoreML)
import EdgeRepBenchCore
import EdgeRepBenchCoreML
import Foundation
import XCTest

/// Runs a suite headless and hands the `edgerep.bench/1` report to whoever collects it: an XCTest
/// attachment kept on success (in the .xcresult bundle device farms return), a file in the report
/// folder, and the log between markers.
///
/// Environment (all optional; set them in the scheme's test action or the farm's test settings):
/// - `EDGEREP_BENCH_ARGS`: `edgerep-bench` options, e.g. `--protocol modelbench --compute-units every`
///   (default: edgerep's default protocol on all compute units).
/// - `EDGEREP_MODELS_DIR`: a folder of models (default: the Models/ folder inside the test bundle).
/// - `EDGEREP_REPORT_DIR`: where the report is written (default: `DEVICEFARM_LOG_DIR` when set, else
///   edgerep-reports/ in the test host's Documents on iOS, in the temporary folder on a Mac).
/// - `EDGEREP_REQUIRE_MODELS=1`: fail instead of skipping when there is no model (CI sets it).
final class DeviceSuiteTests: XCTestCase {
    @MainActor
    func testSuiteRunsAndReportIsCollected() async throws {
        let environment = ProcessInfo.processInfo.environment
        let options = try BenchOptions.parse(commandLine: environment["EDGEREP_BENCH_ARGS"] ?? "")
        let models = try Self.models(options: options, environment: environment)
        guard !models.isEmpty else {
            let message = "no Core ML model in the test bundle's Models/ or EDGEREP_MODELS_DIR: export one with "
                + "'edgerep export MODEL --target coreml -o ios_harness/Tests/EdgeRepBenchDeviceTests/Models/'"
            if environment["EDGEREP_REQUIRE_MODELS"] == "1" {
                return XCTFail(message)
            }
            throw XCTSkip(message)
        }

        let benchmark = CoreMLBenchmark(settings: .init(options: options), tool: .ios)
        let report = await benchmark.run(
            models: models, computeUnits: options.computeUnits, machine: DeviceInfo.machine(name: options.deviceName)
        ) { progress in
            if case .finished = progress.step {
                print(progress.summary)
            }
        }
        let data = try ReportFile.encode(report)

        let url = try Self.reportDirectory(environment).appendingPathComponent(ReportFile.suggestedName(for: report))
        try ReportFile.write(data, to: url, force: true)
        let attachment = XCTAttachment(contentsOfFile: url)
        attachment.name = "edgerep-report.json"
        attachment.lifetime = .keepAlways
        add(attachment)
        print("EDGEREP-REPORT-BEGIN \(url.path)")
        print(String(decoding: data, as: UTF8.self))
        print("EDGEREP-REPORT-END")

        XCTAssertEqual(report.records.count, models.count * options.computeUnits.count)
        let failed = report.records.filter { $0.status != .ok }
        XCTAssertTrue(failed.isEmpty, failed.map { "\($0.model) \($0.backend ?? ""): \($0.reason ?? "")" }.joined(separator: "\n"))
        for record in report.records where record.status == .ok {
            XCTAssertEqual(record.iterations, options.benchProtocol.timed, record.model)
            let low = try XCTUnwrap(record.lowMs)
            let mean = try XCTUnwrap(record.meanMs)
            let high = try XCTUnwrap(record.highMs)
            XCTAssertTrue(low > 0 && low <= mean && mean <= high, "\(record.model): low <= mean <= high")
        }
        let decoded = try ReportFile.decode(data)
        XCTAssertEqual(decoded.schema, BenchReport.schemaID)
    }

    /// The models to run: the named ones, else `EDGEREP_MODELS_DIR`, else the bundle's Models/,
    /// kept to the suite when `--suite` is given.
    static func models(options: BenchOptions, environment: [String: String]) throws -> [URL] {
        var models: [URL]
        if !options.models.isEmpty {
            models = try ModelFiles.resolve(options.models)
        } else if let folder = environment["EDGEREP_MODELS_DIR"], !folder.isEmpty {
            models = try ModelFiles.resolve([folder])
        } else if let bundled = Bundle.module.url(forResource: "Models", withExtension: nil) {
            models = try ModelFiles.models(in: bundled)
        } else {
            models = []
        }
        if let suite = options.suite {
            let names = models.map { ModelIdentity.stem(of: $0.lastPathComponent) }
            let kept = Set(suite.select(names))
            models = models.filter { kept.contains(ModelIdentity.stem(of: $0.lastPathComponent)) }
        }
        return models
    }

    /// Where device farms collect files: `EDGEREP_REPORT_DIR`, `DEVICEFARM_LOG_DIR`, else
    /// edgerep-reports/ in the test host's Documents on iOS (the temporary folder on a Mac).
    static func reportDirectory(_ environment: [String: String]) throws -> URL {
        let directory: URL
        if let named = environment["EDGEREP_REPORT_DIR"] ?? environment["DEVICEFARM_LOG_DIR"], !named.isEmpty {
            directory = URL(fileURLWithPath: named, isDirectory: true)
        } else {
            #if os(macOS)
            let base = FileManager.default.temporaryDirectory
            #else
            let base = try FileManager.default.url(
                for: .documentDirectory, in: .userDomainMask, appropriateFor: nil, create: true)
            #endif
            directory = base.appendingPathComponent("edgerep-reports", isDirectory: true)
        }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }
}
#endif
