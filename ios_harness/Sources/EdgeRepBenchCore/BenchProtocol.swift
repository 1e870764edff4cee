import Foundation

/// How a record is measured: `rounds` x (load when reloading, `warmup` untimed predictions,
/// `iterations` timed ones), with the `trim` fastest and slowest predictions of each round dropped
/// before the round mean. The same rules as edgerep's `Protocol` (edgerep/bench/stats.py).
///
/// Encoded as the report's `protocol` block: `{name, rounds, iterations, warmup, trim, reload}`.
public struct BenchProtocol: Codable, Equatable, Sendable {
    public let name: String
    public let rounds: Int
    public let iterations: Int
    public let warmup: Int
    public let trim: Int
    public let reload: Bool

    /// A validated protocol; throws `BenchError.invalidOption` naming the count that is not allowed.
    public init(
        name: String, rounds: Int, iterations: Int, warmup: Int = 1, trim: Int = 0, reload: Bool = true
    ) throws {
        guard !name.isEmpty else {
            throw BenchError(.invalidOption, "protocol name must not be empty")
        }
        for (field, value) in [("rounds", rounds), ("iterations", iterations)] where value < 1 {
            throw BenchError(.invalidOption, "\(field) must be a positive integer, got \(value)")
        }
        for (field, value) in [("warmup", warmup), ("trim", trim)] where value < 0 {
            throw BenchError(.invalidOption, "\(field) must be a non-negative integer, got \(value)")
        }
        guard 2 * trim < iterations else {
            throw BenchError(
                .invalidOption,
                "trim=\(trim) drops \(2 * trim) of the \(iterations) predictions of a round "
                    + "(the fastest and slowest \(trim) each); use trim < iterations / 2 "
                    + "(at most \((iterations - 1) / 2))"
            )
        }
        self.init(unchecked: name, rounds: rounds, iterations: iterations, warmup: warmup, trim: trim,
                  reload: reload)
    }

    private init(unchecked name: String, rounds: Int, iterations: Int, warmup: Int, trim: Int, reload: Bool) {
        self.name = name
        self.rounds = rounds
        self.iterations = iterations
        self.warmup = warmup
        self.trim = trim
        self.reload = reload
    }

    /// Timed predictions in all.
    public var timed: Int { rounds * iterations }

    /// Apple's ModelBench: 20 rounds x 50 predictions, one warm-up, reload per round, trim 10.
    public static let modelbench = BenchProtocol(
        unchecked: "modelbench", rounds: 20, iterations: 50, warmup: 1, trim: 10, reload: true)
    /// edgerep's default (named "default"): ModelBench's shape at a twentieth of its predictions.
    public static let standard = BenchProtocol(
        unchecked: "default", rounds: 5, iterations: 10, warmup: 1, trim: 2, reload: true)
    /// A quick check: 2 rounds x 5 predictions, trim 1.
    public static let quick = BenchProtocol(
        unchecked: "quick", rounds: 2, iterations: 5, warmup: 1, trim: 1, reload: true)

    /// The presets, by the names edgerep uses (`default`, `modelbench`, `quick`).
    public static let presets: [BenchProtocol] = [.standard, .modelbench, .quick]

    /// The preset called `name`; throws naming the presets when there is none.
    public static func named(_ name: String) throws -> BenchProtocol {
        guard let preset = presets.first(where: { $0.name == name.lowercased() }) else {
            let names = presets.map(\.name).joined(separator: ", ")
            throw BenchError(.invalidOption, "protocol must be one of \(names), got '\(name)'")
        }
        return preset
    }

    /// A copy with some counts replaced, named `custom` when anything changed (edgerep's
    /// `Protocol.with_counts`). When only `iterations` changes, `trim` keeps the same fraction of
    /// the round.
    public func with(
        rounds: Int? = nil, iterations: Int? = nil, warmup: Int? = nil, trim: Int? = nil, reload: Bool? = nil
    ) throws -> BenchProtocol {
        let newIterations = iterations ?? self.iterations
        let newTrim: Int
        if let trim {
            newTrim = trim
        } else if iterations != nil {
            newTrim = newIterations * self.trim / self.iterations
        } else {
            newTrim = self.trim
        }
        let newRounds = rounds ?? self.rounds
        let newWarmup = warmup ?? self.warmup
        let newReload = reload ?? self.reload
        let changed = newRounds != self.rounds || newIterations != self.iterations
            || newWarmup != self.warmup || newTrim != self.trim || newReload != self.reload
        return try BenchProtocol(
            name: changed ? "custom" : name, rounds: newRounds, iterations: newIterations,
            warmup: newWarmup, trim: newTrim, reload: newReload)
    }
}
