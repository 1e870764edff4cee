#if canImport(CoreML)
@preconcurrency import CoreML
import EdgeRepBenchCore
import Foundation
#if canImport(Darwin)
import Darwin
#endif

/// The machine block of a report for this iPhone, iPad or Mac, and Core ML's version (the OS's).
public enum DeviceInfo {
    /// iOS, macOS, visionOS, ...
    public static let osName: String = {
        #if os(iOS)
        return "iOS"
        #elseif os(macOS)
        return "macOS"
        #elseif os(visionOS)
        return "visionOS"
        #elseif os(tvOS)
        return "tvOS"
        #else
        return "Darwin"
        #endif
    }()

    /// `18.1` or `14.4.1`.
    public static let osVersion: String = {
        let version = ProcessInfo.processInfo.operatingSystemVersion
        let base = "\(version.majorVersion).\(version.minorVersion)"
        return version.patchVersion == 0 ? base : base + ".\(version.patchVersion)"
    }()

    /// Core ML ships with the OS: its version is the OS's, e.g. `iOS 18.1` (the record's
    /// `runtime_version` and the report's `runtimes.coreml`).
    public static let coreMLVersion = "\(DeviceInfo.osName) \(DeviceInfo.osVersion)"

    /// Whether this runs in the Simulator, where latencies mean nothing (apple/ml-mobileone#22).
    public static let isSimulator: Bool = {
        #if targetEnvironment(simulator)
        return true
        #else
        return false
        #endif
    }()

    /// The device model identifier: `iPhone16,1` on a phone, `Mac14,2` on a Mac, the simulated
    /// device's in the Simulator.
    public static let modelIdentifier: String? = {
        if DeviceInfo.isSimulator, let simulated = ProcessInfo.processInfo.environment["SIMULATOR_MODEL_IDENTIFIER"] {
            return simulated
        }
        #if os(macOS)
        return DeviceInfo.sysctlString("hw.model")
        #else
        return DeviceInfo.sysctlString("hw.machine")
        #endif
    }()

    /// This machine as a report's `machine` block. `name` is the label tables show (default: the
    /// model identifier, which the user can replace with e.g. "iPhone 15 Pro").
    public static func machine(name: String? = nil) -> MachineInfo {
        let identifier = modelIdentifier
        let label = name.flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : $0 }
        #if os(macOS)
        let kind = MachineInfo.Kind.host
        #else
        let kind = MachineInfo.Kind.device
        #endif
        var machine = MachineInfo(kind: kind, name: label ?? identifier ?? osName, os: osName)
        machine.osVersion = osVersion
        machine.cpu = sysctlString("machdep.cpu.brand_string")
        machine.arch = architecture
        machine.cores = ProcessInfo.processInfo.processorCount
        machine.memoryBytes = Int(clamping: ProcessInfo.processInfo.physicalMemory)
        machine.manufacturer = "Apple"
        machine.model = identifier
        var extra: [String: JSONValue] = [:]
        if isSimulator {
            extra["simulator"] = .bool(true)
        }
        if #available(iOS 17, macOS 14, *) {
            extra["compute_devices"] = .array(MLComputeDevice.allComputeDevices.map { (device: MLComputeDevice) -> JSONValue in
                switch device {
                case .cpu: return .string("cpu")
                case .gpu: return .string("gpu")
                case .neuralEngine(let engine): return .string("neural_engine (\(engine.totalCoreCount) cores)")
                @unknown default: return .string("other")
                }
            })
        }
        machine.extra = extra.isEmpty ? nil : extra
        return machine
    }

    private static let architecture: String = {
        #if arch(arm64)
        return "arm64"
        #elseif arch(x86_64)
        return "x86_64"
        #else
        return "unknown"
        #endif
    }()

    /// A string `sysctl` value, or nil when the name does not exist on this OS.
    private static func sysctlString(_ name: String) -> String? {
        var size = 0
        guard sysctlbyname(name, nil, &size, nil, 0) == 0, size > 0 else {
            return nil
        }
        var buffer = [CChar](repeating: 0, count: size)
        guard sysctlbyname(name, &buffer, &size, nil, 0) == 0 else {
            return nil
        }
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        let text = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespaces)
        return text.isEmpty ? nil : text
    }
}
#endif
