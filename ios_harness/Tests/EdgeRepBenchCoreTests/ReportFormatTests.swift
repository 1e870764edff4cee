import Foundation
import XCTest

@testable import EdgeRepBenchCore

/// The pieces of a report that must agree with edgerep's Python: rounding, timestamps, tables.
final class ReportFormatTests: XCTestCase {
    func testRoundingIsPythonsHalfEvenOnTheExactBinaryValue() {
        // Exact binary ties: 0.03125 = 625 / 20000 and 0.0078125 = 1 / 128; Python's round() keeps the
        // even digit (0.0312, 0.007812), where half-up would give 0.0313 and 0.007813.
        XCTAssertEqual(ReportRounding.rounded(0.03125, places: 4), 0.0312)
        XCTAssertEqual(ReportRounding.rounded(0.0078125, places: 6), 0.007812)
        XCTAssertEqual(ReportRounding.rounded(0.09375, places: 4), 0.0938)
        // Not ties: 5e-05 is slightly above its decimal, 2.5e-05 below half of 0.0001.
        XCTAssertEqual(ReportRounding.rounded(5e-05, places: 4), 0.0001)
        XCTAssertEqual(ReportRounding.rounded(2.5e-05, places: 4), 0.0)
        XCTAssertEqual(ReportRounding.rounded(1000.0549939246656, places: 4), 1000.055)
        XCTAssertTrue(ReportRounding.rounded(.nan, places: 4).isNaN)
    }

    func testFieldsKeepFourDecimalsForTimesAndRatesAndSixForOthers() {
        XCTAssertEqual(ReportRounding.places(forField: "median_ms"), 4)
        XCTAssertEqual(ReportRounding.places(forField: "gmacs_per_s"), 4)
        XCTAssertEqual(ReportRounding.places(forField: "ceiling_gmacs_per_s"), 4)
        XCTAssertEqual(ReportRounding.places(forField: "efficiency"), 6)
    }

    func testTimestampsAreISO8601UTC() {
        XCTAssertEqual(UTCTimestamp.string(secondsSince1970: 0), "1970-01-01T00:00:00Z")
        XCTAssertEqual(UTCTimestamp.string(secondsSince1970: -1), "1969-12-31T23:59:59Z")
        XCTAssertEqual(UTCTimestamp.string(secondsSince1970: 951_782_400), "2000-02-29T00:00:00Z")
        XCTAssertEqual(UTCTimestamp.string(secondsSince1970: 1_709_164_800), "2024-02-29T00:00:00Z")
        XCTAssertEqual(UTCTimestamp.string(secondsSince1970: 1_700_000_000), "2023-11-14T22:13:20Z")
        XCTAssertEqual(UTCTimestamp.string(secondsSince1970: 4_102_444_799), "2099-12-31T23:59:59Z")
        XCTAssertEqual(UTCTimestamp.string(from: Date(timeIntervalSince1970: 1_700_000_000.999)), "2023-11-14T22:13:20Z")
    }

    func testTableShowsModelBenchFiguresBaselinesAndFailures() throws {
        let report = try ReportFixtureTests.fixtureReport()
        var withBaseline = report
        withBaseline.records[0].baseline = true
        let table = ReportTable.render(withBaseline)
        let lines = table.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines[0].hasPrefix("iPhone 15 Pro (iOS 18.1), protocol custom: 3 rounds x 6, trim 1"))
        XCTAssertTrue(lines[1].contains("mean ms") && lines[1].contains("low") && lines[1].contains("high"))
        let measured = try XCTUnwrap(lines.first { $0.hasPrefix("fastvit_t8 *") })
        let meanMs = try XCTUnwrap(report.records[0].meanMs)
        XCTAssertTrue(measured.contains(String(format: "%.3f", meanMs)))
        XCTAssertTrue(lines.contains("* baseline"))
        XCTAssertTrue(lines.contains("fastvit_t8 CPU_AND_NE: MLModel load failed: example of a failed record"))
        XCTAssertFalse(lines.contains { $0.hasSuffix(" ") }, "no trailing spaces")
    }

    func testSuggestedFileNameIsPlain() throws {
        let report = try ReportFixtureTests.fixtureReport()
        XCTAssertEqual(ReportFile.suggestedName(for: report), "edgerep-iPhone-15-Pro-2026-11-18T11-06-40Z.json")
    }

    func testWritingRefusesToReplaceWithoutForceAndIsAtomic() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("edgerep-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("r.json")
        try ReportFile.write(Data("first".utf8), to: url, force: false)
        XCTAssertThrowsError(try ReportFile.write(Data("second".utf8), to: url, force: false)) { error in
            XCTAssertTrue("\(error)".contains("--force"))
        }
        XCTAssertEqual(try Data(contentsOf: url), Data("first".utf8))
        try ReportFile.write(Data("second".utf8), to: url, force: true)
        XCTAssertEqual(try Data(contentsOf: url), Data("second".utf8))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["r.json"])
    }
}
