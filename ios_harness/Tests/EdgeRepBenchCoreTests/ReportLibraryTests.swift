import Foundation
import XCTest

@testable import EdgeRepBenchCore

/// The app's saved reports (Documents/edgerep-reports): kept across launches, never replaced.
final class ReportLibraryTests: XCTestCase {
    private var documents: URL!

    override func setUpWithError() throws {
        documents = FileManager.default.temporaryDirectory.appendingPathComponent("edgerep-library-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: documents, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: documents)
    }

    private func report(created: String) -> BenchReport {
        BenchReport(
            created: created, tool: .ios, machine: MachineInfo(kind: .device, name: "iPhone 15 Pro", os: "iOS"),
            benchProtocol: .quick)
    }

    func testReportsAreSavedInDocumentsNeverReplacedAndListedNewestFirst() throws {
        let library = ReportLibrary(documents: documents)
        XCTAssertEqual(library.folder.lastPathComponent, "edgerep-reports")
        XCTAssertEqual(library.reports(), [], "no folder yet: no reports, no error")
        let first = try library.save(report(created: "2026-11-30T10:15:00Z"))
        let again = try library.save(report(created: "2026-11-30T10:15:00Z"))  // same second, same device
        let later = try library.save(report(created: "2026-12-01T08:00:00Z"))
        XCTAssertEqual(first.lastPathComponent, "edgerep-iPhone-15-Pro-2026-11-30T10-15-00Z.json")
        XCTAssertEqual(again.lastPathComponent, "edgerep-iPhone-15-Pro-2026-11-30T10-15-00Z-2.json")
        XCTAssertEqual(first.deletingLastPathComponent().path, documents.appendingPathComponent("edgerep-reports").path)
        XCTAssertEqual(library.reports().map(\.lastPathComponent), [later, again, first].map(\.lastPathComponent))
        XCTAssertEqual(try library.load(later).created, "2026-12-01T08:00:00Z")
        // Another library on the same folder (the app relaunched) sees the same files.
        XCTAssertEqual(ReportLibrary(documents: documents).reports().count, 3)
    }

    func testAFileThatIsNotAReportIsAnErrorNamingIt() throws {
        let library = ReportLibrary(documents: documents)
        try FileManager.default.createDirectory(at: library.folder, withIntermediateDirectories: true)
        let junk = library.folder.appendingPathComponent("notes.json")
        try Data("{\"x\": 1}".utf8).write(to: junk)
        XCTAssertThrowsError(try library.load(junk))
        XCTAssertThrowsError(try library.load(library.folder.appendingPathComponent("missing.json"))) { error in
            XCTAssertEqual((error as? BenchError)?.kind, .fileSystem)
        }
    }
}
