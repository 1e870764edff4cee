/// The statistics of one record's timed samples (milliseconds), as edgerep/bench/stats.py defines
/// them.
///
/// `meanMs`, `lowMs`, `highMs` are ModelBench's three figures: the mean of the trimmed round means,
/// and the lowest and highest single latency kept after trimming, over all rounds. `medianMs`,
/// `p90Ms`, `p95Ms`, `p99Ms`, `stdMs`, `minMs`, `maxMs` are over every timed sample, untrimmed: percentiles linear between
/// order statistics (numpy's default), std the population standard deviation.
public struct Summary: Equatable, Sendable {
    public let medianMs: Double
    public let meanMs: Double
    public let lowMs: Double
    public let highMs: Double
    public let p90Ms: Double
    public let p95Ms: Double
    public let p99Ms: Double
    public let stdMs: Double
    public let minMs: Double
    public let maxMs: Double
    /// Timed samples in all.
    public let iterations: Int
    /// Samples left after trimming.
    public let kept: Int

    public init(
        medianMs: Double, meanMs: Double, lowMs: Double, highMs: Double, p90Ms: Double, p95Ms: Double,
        p99Ms: Double, stdMs: Double, minMs: Double, maxMs: Double, iterations: Int, kept: Int
    ) {
        self.medianMs = medianMs
        self.meanMs = meanMs
        self.lowMs = lowMs
        self.highMs = highMs
        self.p90Ms = p90Ms
        self.p95Ms = p95Ms
        self.p99Ms = p99Ms
        self.stdMs = stdMs
        self.minMs = minMs
        self.maxMs = maxMs
        self.iterations = iterations
        self.kept = kept
    }
}

/// edgerep's statistics, operation for operation, so that the same samples give the same bits.
///
/// Every sum runs left to right (`total`); every other step is one IEEE operation (+, -, *, /,
/// square root), correctly rounded on every platform.
public enum Statistics {
    /// The `q`-th percentile (0...100), linear between order statistics: position `(n - 1) * q / 100`.
    public static func percentile(_ values: [Double], _ q: Double) throws -> Double {
        guard !values.isEmpty else {
            throw BenchError(.emptySamples, "percentile of an empty sequence")
        }
        guard q >= 0, q <= 100 else {
            throw BenchError(.invalidOption, "q must be within 0...100, got \(q)")
        }
        let ordered = values.sorted()
        let position = Double(ordered.count - 1) * q / 100
        let lower = Int(position.rounded(.down))
        let upper = Swift.min(lower + 1, ordered.count - 1)
        return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - Double(lower))
    }

    /// `values` sorted, without the `trim` smallest and `trim` largest.
    public static func trimmed(_ values: [Double], trim: Int) throws -> [Double] {
        guard trim >= 0, 2 * trim < values.count else {
            throw BenchError(.trimTooLarge, "cannot trim \(trim) from each end of \(values.count) samples")
        }
        let ordered = values.sorted()
        return Array(ordered[trim..<(ordered.count - trim)])
    }

    /// Left-to-right sum, in the order given (no compensation), as edgerep's `_total`.
    public static func total(_ values: [Double]) -> Double {
        var sum = 0.0
        for value in values {
            sum += value
        }
        return sum
    }

    /// The statistics of per-round timed samples (ms) with `trim` dropped from each end of each round.
    ///
    /// Throws `emptySamples` for no round or an empty round, `trimTooLarge` when `2 * trim` is not
    /// below a round's sample count, `nonFiniteSample` for NaN or infinity.
    public static func summarize(_ rounds: [[Double]], trim: Int) throws -> Summary {
        guard !rounds.isEmpty, rounds.allSatisfy({ !$0.isEmpty }) else {
            throw BenchError(.emptySamples, "summarize needs at least one round, each with at least one sample")
        }
        let flat = rounds.flatMap { $0 }
        if let bad = flat.first(where: { !$0.isFinite }) {
            throw BenchError(.nonFiniteSample, "timed samples must be finite, got \(bad)")
        }
        var roundMeans: [Double] = []
        var kept: [Double] = []
        for samples in rounds {
            let keep = try trimmed(samples, trim: trim)
            roundMeans.append(total(keep) / Double(keep.count))
            kept.append(contentsOf: keep)
        }
        let meanAll = total(flat) / Double(flat.count)
        let squares = flat.map { ($0 - meanAll) * ($0 - meanAll) }
        guard let low = kept.min(), let high = kept.max(), let lowest = flat.min(), let highest = flat.max() else {
            throw BenchError(.emptySamples, "no sample left after trimming")
        }
        let median = try percentile(flat, 50)
        let p90 = try percentile(flat, 90)
        let p95 = try percentile(flat, 95)
        let p99 = try percentile(flat, 99)
        return Summary(
            medianMs: median,
            meanMs: total(roundMeans) / Double(roundMeans.count),
            lowMs: low,
            highMs: high,
            p90Ms: p90,
            p95Ms: p95,
            p99Ms: p99,
            stdMs: (total(squares) / Double(flat.count)).squareRoot(),
            minMs: lowest,
            maxMs: highest,
            iterations: flat.count,
            kept: kept.count
        )
    }
}
