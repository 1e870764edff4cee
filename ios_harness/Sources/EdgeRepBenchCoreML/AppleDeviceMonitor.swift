#if canImport(CoreML)
import EdgeRepBenchCore
import Foundation
#if canImport(UIKit)
import UIKit
#endif

/// The device's state for a record's `conditions`: `ProcessInfo.thermalState` (nominal, fair,
/// serious, critical), `ProcessInfo.isLowPowerModeEnabled` (iOS; macOS 12+), and on iPhone and iPad
/// `UIDevice.batteryLevel` (0...1, -1 when unknown) and `batteryState` (`.charging` / `.full` count
/// as charging), read on the main actor with battery monitoring enabled. A Mac reports no battery
/// here (nil). Apple platforms have no thermal headroom figure (Android's), so it stays nil.
public struct AppleDeviceMonitor: DeviceMonitor {
    public init() {}

    public func state() async -> DeviceState {
        let info = ProcessInfo.processInfo
        var state = DeviceState(thermalState: Self.name(of: info.thermalState))
        if #available(macOS 12.0, *) {
            state.lowPowerMode = info.isLowPowerModeEnabled
        }
        #if canImport(UIKit) && !os(watchOS)
        let battery = await MainActor.run { () -> (Float, Bool?) in
            let device = UIDevice.current
            device.isBatteryMonitoringEnabled = true
            let charging: Bool?
            switch device.batteryState {
            case .charging, .full: charging = true
            case .unplugged: charging = false
            default: charging = nil
            }
            return (device.batteryLevel, charging)
        }
        state.batteryLevel = battery.0 >= 0 ? Double(battery.0) : nil
        state.charging = battery.1
        #endif
        return state
    }

    static func name(of thermal: ProcessInfo.ThermalState) -> String {
        switch thermal {
        case .nominal: return "nominal"
        case .fair: return "fair"
        case .serious: return "serious"
        case .critical: return "critical"
        @unknown default: return "unknown"
        }
    }
}
#endif
