import Foundation

/// The options of the command line (`edgerep-bench`) and of the headless XCTest
/// (`EDGEREP_BENCH_ARGS`), parsed in one place.
///
///     edgerep-bench MODEL|DIR ... [--suite imagenet|face] [--compute-units LIST]
///         [--protocol default|modelbench|quick] [--quick] [--rounds N] [--iterations N]
///         [--warmup N] [--trim N] [--no-reload] [--samples] [--no-compute-plan]
///         [--device-name NAME] [--cooldown SECONDS] [--json FILE] [--force]
///     edgerep-bench --selftest [protocol options] [--samples] [--json FILE] [--force]
public struct BenchOptions: Equatable, Sendable {
    /// Model files or folders of models.
    public var models: [String] = []
    /// Keep only the models of this suite (and order them family by family).
    public var suite: Suite?
    public var computeUnits: [ComputeUnits] = [.all]
    public var benchProtocol: BenchProtocol = .standard
    /// Store the raw samples in the report (`samples_ms`).
    public var keepSamples = false
    /// Read the per-operation compute devices (`MLComputePlan`) where the OS has it.
    public var computePlan = true
    /// The machine's label in the report (default: the device model identifier).
    public var deviceName: String?
    public var jsonPath: String?
    /// Replace an existing `--json` file.
    public var force = false
    public var showHelp = false
    /// Time the built-in Foundation-only workload (`SelfTest`) instead of models: a report from any
    /// platform, Linux included.
    public var selfTest = false
    /// Before each record after the first, wait up to this many seconds for the device's thermal
    /// state to return to the run's starting state (0: no cool-down).
    public var cooldownSeconds: Double = 0

    public init() {}

    public static let usage = """
        usage: edgerep-bench MODEL|DIR ... [options]

        Runs ModelBench's protocol (rounds of: load, warm-up, timed predictions, trimmed) on Core ML
        models exported by 'edgerep export MODEL --target coreml' (any .mlpackage, .mlmodelc or .mlmodel
        works; edgerep exports also fill model, family, MACs and parameters from their metadata).

          MODEL|DIR              model files, or folders whose models all run
          --suite NAME           keep the models of a suite: imagenet (FastViT, RepNeXt vs MobileOne)
                                 or face (FaceLiVT vs EdgeFace), ordered family by family
          --compute-units LIST   all, cpu-only, cpu-gpu, cpu-ne, comma-separated, or every (default all)
          --protocol NAME        default (5x10, trim 2), modelbench (20x50, trim 10), quick (2x5, trim 1)
          --quick                the quick protocol
          --rounds N --iterations N --warmup N --trim N
                                 override the protocol's counts (the protocol is then named custom)
          --no-reload            load the model once instead of every round
          --samples              keep every timed sample in the report
          --no-compute-plan      skip the per-operation compute-device breakdown (MLComputePlan)
          --device-name NAME     the machine's label in the report (default: the model identifier)
          --cooldown SECONDS     before each record after the first, wait up to SECONDS for the
                                 thermal state to return to where the run started (default 0: no wait)
          --json FILE            write the edgerep.bench/1 report (read it with 'edgerep bench ingest')
          --force                replace an existing --json file
          --selftest             time a built-in 64x64 matrix product in plain Swift instead of
                                 models (runs anywhere, Linux included: checks the report path)
          -h, --help             this help

        Exit status: 0 when every record was measured, 1 when a record failed (the report still
        holds it, with the reason), 2 for a usage error.
        """

    private static let flags = ["--quick", "--no-reload", "--samples", "--no-compute-plan", "--force", "--selftest", "--help", "-h"]
    private static let valued = [
        "--suite", "--compute-units", "--protocol", "--rounds", "--iterations", "--warmup", "--trim",
        "--device-name", "--json", "--cooldown",
    ]

    /// Parses command-line arguments (without the program name). Throws `invalidOption` naming the
    /// argument, what is allowed, and the closest option for a misspelling.
    public static func parse(_ arguments: [String]) throws -> BenchOptions {
        var options = BenchOptions()
        var protocolName: String?
        var quick = false
        var counts: [String: Int] = [:]
        var reload: Bool?
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            guard argument.hasPrefix("-"), argument != "-" else {
                options.models.append(argument)
                continue
            }
            var name = argument
            var inlineValue: String?
            if let equals = argument.firstIndex(of: "="), argument.hasPrefix("--") {
                name = String(argument[..<equals])
                inlineValue = String(argument[argument.index(after: equals)...])
            }
            if flags.contains(name) {
                guard inlineValue == nil else {
                    throw BenchError(.invalidOption, "\(name) takes no value, got '\(argument)'")
                }
                switch name {
                case "--quick": quick = true
                case "--no-reload": reload = false
                case "--samples": options.keepSamples = true
                case "--no-compute-plan": options.computePlan = false
                case "--force": options.force = true
                case "--selftest": options.selfTest = true
                default: options.showHelp = true
                }
                continue
            }
            guard valued.contains(name) else {
                throw unknownOption(name)
            }
            let value: String
            if let inlineValue {
                value = inlineValue
            } else {
                guard index < arguments.count else {
                    throw BenchError(.invalidOption, "\(name) needs a value")
                }
                value = arguments[index]
                index += 1
            }
            switch name {
            case "--suite": options.suite = try Suite.named(value)
            case "--compute-units": options.computeUnits = try ComputeUnits.parseList(value)
            case "--protocol": protocolName = value
            case "--device-name":
                guard !value.trimmingCharacters(in: .whitespaces).isEmpty else {
                    throw BenchError(.invalidOption, "--device-name must not be empty")
                }
                options.deviceName = value
            case "--json": options.jsonPath = value
            case "--cooldown":
                guard let seconds = Double(value), seconds.isFinite, seconds >= 0, seconds <= 3600 else {
                    throw BenchError(.invalidOption, "--cooldown is the longest wait in seconds, 0 to 3600, got '\(value)'")
                }
                options.cooldownSeconds = seconds
            default: counts[String(name.dropFirst(2))] = try count(name, value)
            }
        }
        if options.showHelp {
            return options
        }
        if options.selfTest && !options.models.isEmpty {
            throw BenchError(.invalidOption, "--selftest measures a built-in workload: name no model with it")
        }
        var base = try protocolName.map(BenchProtocol.named) ?? .standard
        if quick {
            guard base == .standard || base == .quick else {
                throw BenchError(.invalidOption, "--quick conflicts with --protocol \(base.name); use one")
            }
            base = .quick
        }
        options.benchProtocol = try base.with(
            rounds: counts["rounds"], iterations: counts["iterations"], warmup: counts["warmup"],
            trim: counts["trim"], reload: reload)
        return options
    }

    /// Parses a whitespace-separated argument string (the XCTest's `EDGEREP_BENCH_ARGS`; no quoting).
    public static func parse(commandLine: String) throws -> BenchOptions {
        try parse(commandLine.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).map(String.init))
    }

    private static func count(_ name: String, _ value: String) throws -> Int {
        guard let number = Int(value) else {
            throw BenchError(.invalidOption, "\(name) must be an integer, got '\(value)'")
        }
        return number
    }

    private static func unknownOption(_ name: String) -> BenchError {
        let known = flags + valued
        let closest = known.min { editDistance($0, name) < editDistance($1, name) }
        var message = "unknown option \(name)"
        if let closest, editDistance(closest, name) <= 3 {
            message += " (did you mean \(closest)?)"
        }
        return BenchError(.invalidOption, message + "; see --help")
    }

    /// Levenshtein distance, for "did you mean".
    static func editDistance(_ lhs: String, _ rhs: String) -> Int {
        let a = Array(lhs)
        let b = Array(rhs)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + [Int](repeating: 0, count: b.count)
            for j in 1...b.count {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = Swift.min(previous[j] + 1, current[j - 1] + 1, substitution)
            }
            previous = current
        }
        return previous[b.count]
    }
}
