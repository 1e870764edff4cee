/// Where the protocol loop is, reported before each load and after each round.
public struct MeasureProgress: Equatable, Sendable {
    public enum Phase: Equatable, Sendable {
        /// About to load the model for round `round`.
        case loading
        /// Round `round` is done (its samples are taken).
        case roundFinished
    }

    /// Zero-based index of the round.
    public let round: Int
    public let rounds: Int
    public let phase: Phase

    public init(round: Int, rounds: Int, phase: Phase) {
        self.round = round
        self.rounds = rounds
        self.phase = phase
    }

    /// Share of the rounds finished, 0...1.
    public var fraction: Double {
        let done = phase == .roundFinished ? round + 1 : round
        return rounds > 0 ? Double(done) / Double(rounds) : 1
    }
}

/// What one run of the protocol measured (milliseconds).
public struct MeasuredRun: Equatable, Sendable {
    /// The load (model instantiation) of the first round.
    public let loadMs: Double
    /// The first prediction after that load: the first warm-up, or the first timed sample when the
    /// protocol has no warm-up.
    public let firstMs: Double
    /// The timed samples, one array per round (warm-ups excluded).
    public let rounds: [[Double]]

    public init(loadMs: Double, firstMs: Double, rounds: [[Double]]) {
        self.loadMs = loadMs
        self.firstMs = firstMs
        self.rounds = rounds
    }
}

/// The protocol loop of edgerep/bench/measure.py: `rounds` x (load when it is the first round or
/// the protocol reloads; `warmup` untimed predictions; `iterations` timed ones).
public struct ProtocolRunner<ClockType: MonotonicClock> {
    public let benchProtocol: BenchProtocol
    public let clock: ClockType

    public init(_ benchProtocol: BenchProtocol, clock: ClockType) {
        self.benchProtocol = benchProtocol
        self.clock = clock
    }

    /// Runs the protocol on the predictors `load` creates.
    ///
    /// `load` is timed (the first round's time is `loadMs`); `Predictor.prepare()` runs after it,
    /// untimed. `progress` runs outside every timed region; throwing from it (for example
    /// `CancellationError`) stops the run. The previous round's predictor is released before the
    /// next one loads.
    public func run<P: Predictor>(
        load: () throws -> P,
        progress: (MeasureProgress) throws -> Void = { _ in }
    ) throws -> MeasuredRun {
        let spec = benchProtocol
        var rounds: [[Double]] = []
        rounds.reserveCapacity(spec.rounds)
        var loadMs = 0.0
        var firstMs = 0.0
        var kept: P? = nil
        for round in 0..<spec.rounds {
            let predictor: P
            if let previous = kept, !spec.reload {
                predictor = previous
            } else {
                try progress(MeasureProgress(round: round, rounds: spec.rounds, phase: .loading))
                kept = nil
                let start = clock.now()
                let loaded = try load()
                let end = clock.now()
                if round == 0 {
                    loadMs = elapsedMilliseconds(from: start, to: end)
                }
                try loaded.prepare()
                kept = loaded
                predictor = loaded
            }
            var samples: [Double] = []
            samples.reserveCapacity(spec.iterations)
            for index in 0..<(spec.warmup + spec.iterations) {
                let start = clock.now()
                try predictor.predict()
                let elapsed = elapsedMilliseconds(from: start, to: clock.now())
                if round == 0 && index == 0 {
                    firstMs = elapsed
                }
                if index >= spec.warmup {
                    samples.append(elapsed)
                }
            }
            rounds.append(samples)
            try progress(MeasureProgress(round: round, rounds: spec.rounds, phase: .roundFinished))
        }
        return MeasuredRun(loadMs: loadMs, firstMs: firstMs, rounds: rounds)
    }
}
