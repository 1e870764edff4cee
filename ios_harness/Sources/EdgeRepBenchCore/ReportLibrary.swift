import Foundation

/// The reports a device keeps: one JSON file per run in a folder (the app's `Documents/edgerep-reports`,
/// which survives restarts, is backed up, and which the share sheet sends from), never replaced.
public struct ReportLibrary: Sendable {
    /// The folder's name under Documents.
    public static let folderName = "edgerep-reports"

    public let folder: URL

    public init(folder: URL) {
        self.folder = folder
    }

    /// The library in `documents/edgerep-reports`.
    public init(documents: URL) {
        self.init(folder: documents.appendingPathComponent(Self.folderName, isDirectory: true))
    }

    /// Writes `report` under its suggested name (`ReportFile.suggestedName`), or that name with
    /// `-2`, `-3`, ... when a file already has it: an earlier run is never replaced. Atomic.
    @discardableResult
    public func save(_ report: BenchReport) throws -> URL {
        let data = try ReportFile.encode(report)
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw BenchError(.fileSystem, "cannot create \(folder.path): \(error.localizedDescription)")
        }
        let name = ReportFile.suggestedName(for: report)
        let stem = String(name.dropLast(".json".count))
        var candidate = folder.appendingPathComponent(name)
        var suffix = 2
        while FileManager.default.fileExists(atPath: candidate.path) {
            candidate = folder.appendingPathComponent("\(stem)-\(suffix).json")
            suffix += 1
        }
        try ReportFile.write(data, to: candidate, force: false)
        return candidate
    }

    /// The saved reports, newest first (by the `created` time in their names; among reports of one
    /// second, the `-N` copy saved last first).
    public func reports() -> [URL] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else {
            return []
        }
        return names.filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }
            .sorted { lhs, rhs in
                let (l, r) = (Self.createdKey(lhs), Self.createdKey(rhs))
                if l != r { return l > r }
                let (a, b) = (Self.copyNumber(lhs), Self.copyNumber(rhs))
                return a != b ? a > b : lhs > rhs
            }
            .map { folder.appendingPathComponent($0) }
    }

    /// Reads a saved report.
    public func load(_ url: URL) throws -> BenchReport {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw BenchError(.fileSystem, "cannot read \(url.path): \(error.localizedDescription)")
        }
        return try ReportFile.decode(data)
    }

    /// `...Z-3.json` -> 3, `...Z.json` -> 1 (the order `save` gave them).
    static func copyNumber(_ name: String) -> Int {
        let stem = name.hasSuffix(".json") ? String(name.dropLast(5)) : name
        guard let dash = stem.lastIndex(of: "-"), let number = Int(stem[stem.index(after: dash)...]),
              stem[..<dash].hasSuffix("Z")
        else { return 1 }
        return number
    }

    /// `edgerep-<machine>-2026-11-30T10-15-00Z[-2].json` -> `2026-11-30T10-15-00Z` (the sort key; "" if absent).
    static func createdKey(_ name: String) -> String {
        let characters = Array(name)
        guard characters.count >= 20 else { return "" }
        for start in stride(from: characters.count - 20, through: 0, by: -1) {
            let slice = String(characters[start..<(start + 20)])
            if slice.range(of: #"^\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}Z$"#, options: .regularExpression) != nil {
                return slice
            }
        }
        return ""
    }
}
