/// A compute device Core ML can run an operation on (`MLComputeDevice`, without Core ML).
public enum ComputeDevice: String, CaseIterable, Sendable {
    case neuralEngine = "neural_engine"
    case gpu
    case cpu
}

/// One operation of a compute plan: its operator, where Core ML prefers to run it, where it could
/// run, and its estimated share of the model's cost (`MLComputePlan`; nil where Core ML gives none).
public struct PlannedOperation: Equatable, Sendable {
    public var operatorName: String
    public var preferred: ComputeDevice?
    public var supported: [ComputeDevice]
    public var costWeight: Double?

    public init(operatorName: String, preferred: ComputeDevice?, supported: [ComputeDevice], costWeight: Double?) {
        self.operatorName = operatorName
        self.preferred = preferred
        self.supported = supported
        self.costWeight = costWeight
    }
}

/// Where a model's operations run, per device and per operator: what a record's
/// `extra.compute_plan` holds. `const` operations (weights) are not counted.
public struct ComputePlanSummary: Equatable, Sendable {
    /// The key of operations without device information.
    public static let unknown = "unknown"

    /// Operations counted (all but `const`).
    public let operations: Int
    /// Operations per preferred device (`neural_engine`, `gpu`, `cpu`, `unknown`).
    public let preferred: [String: Int]
    /// Sum of the estimated cost weights per preferred device; empty when Core ML gave no cost.
    public let estimatedCost: [String: Double]
    /// Per operator name, operations per preferred device.
    public let byOperator: [String: [String: Int]]
    /// Operations the Neural Engine supports that Core ML prefers to run elsewhere.
    public let neuralEngineCapableElsewhere: Int

    public init(operations planned: [PlannedOperation]) {
        let counted = planned.filter { $0.operatorName != "const" }
        var preferred: [String: Int] = [ComputePlanSummary.unknown: 0]
        for device in ComputeDevice.allCases {
            preferred[device.rawValue] = 0
        }
        var cost: [String: Double] = [:]
        var byOperator: [String: [String: Int]] = [:]
        var capableElsewhere = 0
        for operation in counted {
            let key = operation.preferred?.rawValue ?? ComputePlanSummary.unknown
            preferred[key, default: 0] += 1
            byOperator[operation.operatorName, default: [:]][key, default: 0] += 1
            if let weight = operation.costWeight {
                cost[key, default: 0] += weight
            }
            if let device = operation.preferred, device != .neuralEngine,
               operation.supported.contains(.neuralEngine) {
                capableElsewhere += 1
            }
        }
        self.operations = counted.count
        self.preferred = preferred
        self.estimatedCost = cost
        self.byOperator = byOperator
        self.neuralEngineCapableElsewhere = capableElsewhere
    }

    /// Whether Core ML gave a device for at least one operation (models exported for an older
    /// deployment target get none).
    public var hasDeviceInformation: Bool {
        (preferred[ComputePlanSummary.unknown] ?? 0) < operations
    }

    /// The summary as the record's `extra.compute_plan` (cost weights rounded to 6 decimals).
    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "operations": .number(Double(operations)),
            "preferred": .object(preferred.mapValues { .number(Double($0)) }),
            "by_operator": .object(byOperator.mapValues { counts in .object(counts.mapValues { .number(Double($0)) }) }),
            "neural_engine_capable_elsewhere": .number(Double(neuralEngineCapableElsewhere)),
        ]
        if !estimatedCost.isEmpty {
            object["estimated_cost"] = .object(
                estimatedCost.mapValues { .number(ReportRounding.rounded($0, places: 6)) })
        }
        if !hasDeviceInformation {
            object["note"] = .string(
                "Core ML gave no per-operation device: export with a newer deployment target "
                    + "(edgerep export MODEL --target coreml --deployment-target iOS18)")
        }
        return .object(object)
    }
}
