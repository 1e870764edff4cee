import Foundation

/// A report as a terminal table, ModelBench's figures first: the mean of the trimmed round means
/// with the lowest and highest latency kept, then the median, p90, load and first prediction.
/// Baselines are starred; failed records show their reason.
public enum ReportTable {
    public static func render(_ report: BenchReport) -> String {
        let header = ["model", "units", "mean ms", "low", "high", "median", "p90", "load ms", "first ms", "GMAC/s"]
        var rows: [[String]] = []
        var notes: [String] = []
        for record in report.records {
            let name = record.model + (record.baseline ? " *" : "")
            let units = record.backend ?? "-"
            guard record.status == .ok else {
                rows.append([name, units, record.status.rawValue] + Array(repeating: "", count: header.count - 3))
                notes.append("\(record.model) \(units): \(record.reason ?? record.status.rawValue)")
                continue
            }
            rows.append([
                name, units, ms(record.meanMs), ms(record.lowMs), ms(record.highMs), ms(record.medianMs),
                ms(record.p90Ms), ms(record.loadMs), ms(record.firstMs),
                record.gmacsPerS.map { String(format: "%.1f", $0) } ?? "-",
            ])
        }
        var widths = header.map(\.count)
        for row in rows {
            for (column, cell) in row.enumerated() {
                widths[column] = Swift.max(widths[column], cell.count)
            }
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { column, cell in
                let padding = String(repeating: " ", count: widths[column] - cell.count)
                return column == 0 ? cell + padding : padding + cell
            }.joined(separator: "  ")
        }
        var lines = [
            "\(report.machine.name) (\(report.machine.os) \(report.machine.osVersion ?? "")), protocol "
                + "\(report.benchProtocol.name): \(report.benchProtocol.rounds) rounds x "
                + "\(report.benchProtocol.iterations), trim \(report.benchProtocol.trim)",
            line(header),
            line(widths.map { String(repeating: "-", count: $0) }),
        ]
        lines += rows.map(line)
        lines.append("mean: mean of the trimmed round means; low/high: extremes of the latencies kept (ModelBench)")
        if report.records.contains(where: \.baseline) {
            lines.append("* baseline")
        }
        lines += notes
        return lines.map(trimmingTrailingSpaces).joined(separator: "\n") + "\n"
    }

    private static func trimmingTrailingSpaces(_ text: String) -> String {
        var result = text
        while result.last == " " {
            result.removeLast()
        }
        return result
    }

    private static func ms(_ value: Double?) -> String {
        value.map { String(format: "%.3f", $0) } ?? "-"
    }
}
