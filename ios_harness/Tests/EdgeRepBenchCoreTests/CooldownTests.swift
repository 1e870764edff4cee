import Foundation
import XCTest

@testable import EdgeRepBenchCore

/// A device whose thermal state is read from `states` in order; time passes only while sleeping.
final class FakeDevice: DeviceMonitor, MonotonicClock, @unchecked Sendable {
    private let states: [String?]
    private(set) var reads = 0
    private(set) var nanoseconds: UInt64 = 0
    private(set) var sleeps: [Double] = []

    init(_ states: [String?]) { self.states = states }

    func state() async -> DeviceState {
        defer { reads += 1 }
        return DeviceState(thermalState: states[Swift.min(reads, states.count - 1)], lowPowerMode: false,
                           batteryLevel: 0.5, charging: true)
    }

    func now() -> UInt64 { nanoseconds }

    func sleep(_ seconds: Double) async throws {
        sleeps.append(seconds)
        nanoseconds += UInt64(seconds * 1e9)
    }
}

final class CooldownTests: XCTestCase {
    private func cooldown(_ device: FakeDevice, max: Double) throws -> Cooldown<FakeDevice> {
        try Cooldown(maxSeconds: max, pollSeconds: 5, clock: device, sleep: device.sleep)
    }

    func testWaitsUntilTheThermalStateIsBackWhereTheRunStarted() async throws {
        let device = FakeDevice(["serious", "fair", "nominal"])
        let result = try await cooldown(device, max: 60).wait(for: device, target: "nominal")
        XCTAssertEqual(result, CooldownResult(waitedS: 10, cooled: true))
        XCTAssertEqual(device.sleeps, [5, 5])
    }

    func testADeviceStillWarmAtTheLimitRunsAnywayAndSaysSo() async throws {
        let device = FakeDevice(["critical"])
        let result = try await cooldown(device, max: 12).wait(for: device, target: "nominal")
        XCTAssertEqual(result, CooldownResult(waitedS: 12, cooled: false))
        XCTAssertEqual(device.sleeps, [5, 5, 2], "the last sleep stops at the limit")
    }

    func testNoWaitAtOrBelowTheTargetOrWhenUnreadable() async throws {
        let fair = FakeDevice(["fair"])
        let atTarget = try await cooldown(fair, max: 60).wait(for: fair, target: "fair")
        XCTAssertEqual(atTarget, CooldownResult(waitedS: 0, cooled: true))
        let unknown = FakeDevice([nil])
        let unreadable = try await cooldown(unknown, max: 60).wait(for: unknown, target: "nominal")
        XCTAssertEqual(unreadable, CooldownResult(waitedS: 0, cooled: true))
        XCTAssertThrowsError(try Cooldown(maxSeconds: -1, clock: unknown, sleep: unknown.sleep))
    }

    func testConditionsEncodeAsTheSchemaNamesThem() throws {
        var record = BenchRecord(model: "m", runtime: "coreml", precision: "fp16", status: .failed, reason: "x")
        record.conditions = Conditions(
            before: DeviceState(thermalState: "nominal", lowPowerMode: true, batteryLevel: 0.75, charging: false),
            after: DeviceState(thermalState: "fair", batteryLevel: -1), cooldownS: 2.5, cooled: true)
        let written = try JSONValue.parse(JSONEncoder().encode(record))
        let conditions = written["conditions"]
        XCTAssertEqual(conditions?["before"]?["low_power_mode"], .bool(true))
        XCTAssertEqual(conditions?["before"]?["battery_level"], .number(0.75))
        XCTAssertNil(conditions?["after"]?["battery_level"], "UIDevice's -1 (unknown) is no level")
        XCTAssertEqual(conditions?["cooldown_s"], .number(2.5))
        XCTAssertEqual(ThermalLevels.rank("serious"), 2)
    }
}

final class PeakMemoryTests: XCTestCase {
    func testGrowthIsKnownOnlyWhenThePeakRose() {
        XCTAssertEqual(PeakMemory.growth(before: 100 << 20, after: 180 << 20), 80 << 20)
        XCTAssertNil(PeakMemory.growth(before: 180 << 20, after: 180 << 20), "under an earlier peak: unknown, not 0")
        XCTAssertNil(PeakMemory.growth(before: nil, after: 180 << 20))
        XCTAssertNil(PeakMemory.growth(before: 200, after: 100))
    }
}
