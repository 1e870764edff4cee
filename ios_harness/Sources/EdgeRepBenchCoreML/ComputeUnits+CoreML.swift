#if canImport(CoreML)
@preconcurrency import CoreML
import EdgeRepBenchCore
import Foundation

extension ComputeUnits {
    /// The Core ML setting of these compute units.
    public var mlComputeUnits: MLComputeUnits {
        switch self {
        case .all: return .all
        case .cpuOnly: return .cpuOnly
        case .cpuAndGPU: return .cpuAndGPU
        case .cpuAndNeuralEngine: return .cpuAndNeuralEngine
        }
    }

    /// A new configuration with these compute units (`MLModelConfiguration` is a mutable class:
    /// one per load, never shared between threads).
    public func configuration() -> MLModelConfiguration {
        let configuration = MLModelConfiguration()
        configuration.computeUnits = mlComputeUnits
        return configuration
    }
}
#endif
