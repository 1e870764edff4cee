import Foundation

/// How a report stores numbers: edgerep's `Record.to_dict` rounds values of `*_ms` and `*_s`
/// fields to 4 decimals (microseconds are plenty) and other floats to 6, with Python's `round()`:
/// half-even on the exact binary value, then the nearest double.
///
/// `String(format: "%.Nf")` formats the exact binary value rounded to nearest, ties to even, on
/// both Darwin (gdtoa) and glibc, and `Double(String)` reads back the nearest double: the pair is
/// Python's `round(value, N)`. (The tests hold it to cases whose decimal expansion is an exact tie.)
public enum ReportRounding {
    /// Decimals kept for a report field: 4 for `*_ms` and `*_s` fields, 6 for the others.
    public static func places(forField key: String) -> Int {
        key.hasSuffix("_ms") || key.hasSuffix("_s") ? 4 : 6
    }

    /// `value` rounded to `places` decimals as Python's `round(value, places)`; non-finite values
    /// are returned unchanged (the JSON encoder refuses them).
    public static func rounded(_ value: Double, places: Int) -> Double {
        guard value.isFinite, places >= 0 else {
            return value
        }
        let text = String(format: "%.\(places)f", value)
        return Double(text) ?? value
    }

    /// `value` rounded as the report stores the field `key`.
    public static func rounded(_ value: Double, forField key: String) -> Double {
        rounded(value, places: places(forField: key))
    }
}
