import Foundation

/// What the device reported at one moment (a record's `conditions.before` / `.after`, schema
/// `edgerep.bench/2`); nil where the platform does not say.
public struct DeviceState: Codable, Equatable, Sendable {
    /// `ProcessInfo.thermalState` as a name: nominal, fair, serious, critical (`ThermalLevels.apple`).
    public var thermalState: String?
    /// Android's thermal headroom; Apple platforms do not report one (always nil here).
    public var thermalHeadroom: Double?
    /// `ProcessInfo.isLowPowerModeEnabled`.
    public var lowPowerMode: Bool?
    /// `UIDevice.batteryLevel`, 0...1 (nil when unknown: the API's -1).
    public var batteryLevel: Double?
    /// `UIDevice.batteryState` is `.charging` or `.full`.
    public var charging: Bool?

    public init(thermalState: String? = nil, thermalHeadroom: Double? = nil, lowPowerMode: Bool? = nil,
                batteryLevel: Double? = nil, charging: Bool? = nil) {
        self.thermalState = thermalState
        self.thermalHeadroom = thermalHeadroom
        self.lowPowerMode = lowPowerMode
        self.batteryLevel = batteryLevel.flatMap { (0...1).contains($0) ? $0 : nil }
        self.charging = charging
    }

    enum CodingKeys: String, CodingKey {
        case thermalState = "thermal_state"
        case thermalHeadroom = "thermal_headroom"
        case lowPowerMode = "low_power_mode"
        case batteryLevel = "battery_level"
        case charging
    }
}

/// The device's state around one record and the cool-down waited before it (schema `conditions`).
public struct Conditions: Codable, Equatable, Sendable {
    public var before: DeviceState?
    public var after: DeviceState?
    /// Seconds waited for the thermal state to return (nil: no cool-down asked).
    public var cooldownS: Double?
    /// Whether it returned within the allowed wait (false: the record ran warm).
    public var cooled: Bool?

    public init(before: DeviceState? = nil, after: DeviceState? = nil, cooldownS: Double? = nil, cooled: Bool? = nil) {
        self.before = before
        self.after = after
        self.cooldownS = cooldownS
        self.cooled = cooled
    }

    enum CodingKeys: String, CodingKey {
        case before, after
        case cooldownS = "cooldown_s"
        case cooled
    }
}

/// Thermal state names in order, coolest first.
public enum ThermalLevels {
    /// `ProcessInfo.ThermalState`: `.nominal`, `.fair`, `.serious`, `.critical`.
    public static let apple = ["nominal", "fair", "serious", "critical"]

    /// The rank of `name` among Apple's states, nil for a name it does not know.
    public static func rank(_ name: String?) -> Int? {
        name.flatMap { apple.firstIndex(of: $0) }
    }
}

/// Reads the device's state (the platform's APIs on a phone or Mac, a fake in tests).
public protocol DeviceMonitor: Sendable {
    func state() async -> DeviceState
}

/// Observes nothing: records carry no `conditions`.
public struct NoDeviceMonitor: DeviceMonitor {
    public init() {}
    public func state() async -> DeviceState { DeviceState() }
}

/// How long a record waited to cool down, and whether the device got back to the run's start.
public struct CooldownResult: Equatable, Sendable {
    public let waitedS: Double
    public let cooled: Bool

    public init(waitedS: Double, cooled: Bool) {
        self.waitedS = waitedS
        self.cooled = cooled
    }
}

/// Waits, before a record, until the thermal state is back at or below `target` (the state when the
/// run started), polling every `pollSeconds`, for at most `maxSeconds`; a device still warm then
/// runs the record anyway, and the record says so (`cooled: false`). A state the monitor cannot read
/// is not waited for. The Kotlin core's `Cooldown` does the same.
public struct Cooldown<ClockType: MonotonicClock> {
    public let maxSeconds: Double
    public let pollSeconds: Double
    public let clock: ClockType
    /// Sleeps the given seconds (`Task.sleep` in the app; throws on cancellation).
    public let sleep: (Double) async throws -> Void

    public init(maxSeconds: Double, pollSeconds: Double = 5, clock: ClockType,
                sleep: @escaping (Double) async throws -> Void) throws {
        guard maxSeconds.isFinite, maxSeconds >= 0 else {
            throw BenchError(.invalidOption, "the cool-down must be a non-negative number of seconds, got \(maxSeconds)")
        }
        guard pollSeconds.isFinite, pollSeconds > 0 else {
            throw BenchError(.invalidOption, "the cool-down poll interval must be positive, got \(pollSeconds)")
        }
        self.maxSeconds = maxSeconds
        self.pollSeconds = pollSeconds
        self.clock = clock
        self.sleep = sleep
    }

    public func wait(for monitor: any DeviceMonitor, target: String?) async throws -> CooldownResult {
        guard let limit = ThermalLevels.rank(target) else {
            return CooldownResult(waitedS: 0, cooled: true)
        }
        let start = clock.now()
        func waited() -> Double { elapsedMilliseconds(from: start, to: clock.now()) / 1000 }
        while true {
            guard let now = ThermalLevels.rank(await monitor.state().thermalState), now > limit else {
                return CooldownResult(waitedS: waited(), cooled: true)
            }
            let left = maxSeconds - waited()
            if left <= 0 {
                return CooldownResult(waitedS: waited(), cooled: false)
            }
            try await sleep(Swift.min(pollSeconds, left))
        }
    }
}
