import Foundation

/// Encoding, decoding and writing `edgerep.bench/1` reports.
///
/// Keys are lowercase ASCII, so the sorted order is the same on Darwin and Linux (their
/// `.sortedKeys` differ on mixed case); dates are strings (`UTCTimestamp`), never a `Date`
/// strategy. Non-finite numbers make encoding fail rather than write an invalid report.
public enum ReportFile {
    /// The report as pretty-printed JSON, keys sorted, ending with a newline.
    public static func encode(_ report: BenchReport) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var data = try encoder.encode(report)
        data.append(contentsOf: Array("\n".utf8))
        return data
    }

    public static func decode(_ data: Data) throws -> BenchReport {
        try JSONDecoder().decode(BenchReport.self, from: data)
    }

    /// Writes `data` to `url` atomically (a temporary file, then a rename): never half-written.
    /// Throws when the file exists and `force` is false.
    public static func write(_ data: Data, to url: URL, force: Bool) throws {
        try checkWritable(url, force: force)
        do {
            try data.write(to: url, options: .atomic)
        } catch {
            throw BenchError(.fileSystem, "cannot write \(url.path): \(error.localizedDescription)")
        }
    }

    /// Throws when `url` exists and `force` is false (check before a long run, not after).
    public static func checkWritable(_ url: URL, force: Bool) throws {
        if !force && FileManager.default.fileExists(atPath: url.path) {
            throw BenchError(.fileSystem, "\(url.path) exists; pass --force to replace it")
        }
    }

    /// A file name for a report: `edgerep-<machine>-<created>.json` with only [A-Za-z0-9._-].
    public static func suggestedName(for report: BenchReport) -> String {
        let raw = "edgerep-\(report.machine.name)-\(report.created)"
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
        return String(raw.map { allowed.contains($0) ? $0 : "-" }) + ".json"
    }
}
