#if canImport(CoreML)
@preconcurrency import CoreML
import EdgeRepBenchCore
import Foundation

/// Where Core ML plans to run each operation of an ML Program (`MLComputePlan`, iOS 17.4 /
/// macOS 14.4), read from the compiled model.
@available(iOS 17.4, macOS 14.4, *)
enum ComputePlanReader {
    /// The operations of the model's `main` function (nested blocks included) with their preferred and
    /// supported devices and estimated cost. Empty for models that are not ML Programs.
    ///
    /// Only a compiled `.mlmodelc` is accepted: given an `.mlpackage`, `MLComputePlan` aborts the
    /// process instead of throwing (apple/coremltools#2757).
    static func operations(compiledURL: URL, computeUnits: ComputeUnits) async throws -> [PlannedOperation] {
        guard compiledURL.pathExtension.lowercased() == "mlmodelc" else {
            throw BenchError(.unsupportedModel, "MLComputePlan needs a compiled .mlmodelc, got \(compiledURL.lastPathComponent)")
        }
        let plan = try await MLComputePlan.load(contentsOf: compiledURL, configuration: computeUnits.configuration())
        guard case .program(let program) = plan.modelStructure, let main = program.functions["main"] else {
            return []
        }
        var operations: [PlannedOperation] = []
        collect(main.block, plan: plan, into: &operations)
        return operations
    }

    private static func collect(
        _ block: MLModelStructure.Program.Block, plan: MLComputePlan, into operations: inout [PlannedOperation]
    ) {
        for operation in block.operations {
            let usage = plan.deviceUsage(for: operation)
            operations.append(PlannedOperation(
                operatorName: operation.operatorName,
                preferred: usage.flatMap { device($0.preferred) },
                supported: usage?.supported.compactMap(device) ?? [],
                costWeight: plan.estimatedCost(of: operation)?.weight))
            for nested in operation.blocks {
                collect(nested, plan: plan, into: &operations)
            }
        }
    }

    private static func device(_ device: MLComputeDevice) -> ComputeDevice? {
        switch device {
        case .cpu: return .cpu
        case .gpu: return .gpu
        case .neuralEngine: return .neuralEngine
        @unknown default: return nil
        }
    }
}
#endif
