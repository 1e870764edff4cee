import Foundation

/// The Core ML compute-unit settings (`MLComputeUnits`), named without Core ML so the options and
/// reports can be handled on any platform.
public enum ComputeUnits: String, CaseIterable, Codable, Sendable {
    case all = "all"
    case cpuOnly = "cpu-only"
    case cpuAndGPU = "cpu-gpu"
    case cpuAndNeuralEngine = "cpu-ne"

    /// The record's `backend`: coremltools' `ComputeUnit` names, as edgerep's host runner writes them.
    public var backend: String {
        switch self {
        case .all: return "ALL"
        case .cpuOnly: return "CPU_ONLY"
        case .cpuAndGPU: return "CPU_AND_GPU"
        case .cpuAndNeuralEngine: return "CPU_AND_NE"
        }
    }

    /// A label for screens and tables.
    public var title: String {
        switch self {
        case .all: return "All"
        case .cpuOnly: return "CPU only"
        case .cpuAndGPU: return "CPU + GPU"
        case .cpuAndNeuralEngine: return "CPU + Neural Engine"
        }
    }

    /// Reads `all`, `cpu-only`, `cpu-gpu`, `cpu-ne` (also `cpu`, `gpu`, `ne`, `ane` and the backend
    /// names `CPU_ONLY`, `CPU_AND_GPU`, `CPU_AND_NE`, in any case).
    public init(parsing text: String) throws {
        let key = text.lowercased().replacingOccurrences(of: "_", with: "-")
        let aliases: [String: ComputeUnits] = [
            "all": .all,
            "cpu-only": .cpuOnly, "cpu": .cpuOnly, "cpuonly": .cpuOnly,
            "cpu-gpu": .cpuAndGPU, "cpu-and-gpu": .cpuAndGPU, "gpu": .cpuAndGPU,
            "cpu-ne": .cpuAndNeuralEngine, "cpu-and-ne": .cpuAndNeuralEngine, "ne": .cpuAndNeuralEngine,
            "ane": .cpuAndNeuralEngine, "cpu-and-neural-engine": .cpuAndNeuralEngine,
        ]
        guard let units = aliases[key] else {
            let allowed = ComputeUnits.allCases.map(\.rawValue).joined(separator: ", ")
            throw BenchError(.invalidOption, "compute units must be one of \(allowed) (or 'every'), got '\(text)'")
        }
        self = units
    }

    /// A comma-separated list; `every` means all four settings.
    public static func parseList(_ text: String) throws -> [ComputeUnits] {
        if text.lowercased() == "every" {
            return allCases
        }
        var units: [ComputeUnits] = []
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let name = String(item).trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty else {
                throw BenchError(.invalidOption, "compute units must be names separated by commas, got '\(text)'")
            }
            let parsed = try ComputeUnits(parsing: name)
            if !units.contains(parsed) {
                units.append(parsed)
            }
        }
        return units
    }
}
