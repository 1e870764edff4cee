import Foundation

/// Number formatting for the screens (the report keeps full resolution).
enum Format {
    static func ms(_ value: Double?) -> String {
        guard let value else { return "-" }
        return String(format: value < 10 ? "%.3f ms" : "%.2f ms", value)
    }

    static func number(_ value: Double?, decimals: Int = 1) -> String {
        guard let value else { return "-" }
        return String(format: "%.\(decimals)f", value)
    }
}
