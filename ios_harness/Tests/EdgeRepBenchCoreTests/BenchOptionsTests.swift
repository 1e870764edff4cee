import Foundation
import XCTest

@testable import EdgeRepBenchCore

final class BenchOptionsTests: XCTestCase {
    func testDefaultsAreEdgerepsDefaultProtocolOnAllComputeUnits() throws {
        let options = try BenchOptions.parse(["fastvit_t8.mlpackage"])
        XCTAssertEqual(options.models, ["fastvit_t8.mlpackage"])
        XCTAssertEqual(options.computeUnits, [.all])
        XCTAssertEqual(options.benchProtocol, .standard)
        XCTAssertEqual(options.benchProtocol.name, "default")
        XCTAssertTrue(options.computePlan)
        XCTAssertFalse(options.keepSamples)
    }

    func testEveryOption() throws {
        let options = try BenchOptions.parse([
            "exports/", "--suite", "imagenet", "--compute-units=all,CPU_AND_NE,cpu-only", "--protocol", "modelbench",
            "--rounds", "4", "--no-reload", "--samples", "--no-compute-plan", "--device-name", "iPhone 15 Pro",
            "--json", "out.json", "--force", "more.mlpackage",
        ])
        XCTAssertEqual(options.models, ["exports/", "more.mlpackage"])
        XCTAssertEqual(options.suite, .imagenet)
        XCTAssertEqual(options.computeUnits, [.all, .cpuAndNeuralEngine, .cpuOnly])
        XCTAssertEqual(
            options.benchProtocol,
            try BenchProtocol(name: "custom", rounds: 4, iterations: 50, warmup: 1, trim: 10, reload: false))
        XCTAssertTrue(options.keepSamples)
        XCTAssertFalse(options.computePlan)
        XCTAssertEqual(options.deviceName, "iPhone 15 Pro")
        XCTAssertEqual(options.jsonPath, "out.json")
        XCTAssertTrue(options.force)
    }

    func testCooldownIsSecondsWithinAnHour() throws {
        XCTAssertEqual(try BenchOptions.parse(["m.mlpackage"]).cooldownSeconds, 0)
        XCTAssertEqual(try BenchOptions.parse(["m.mlpackage", "--cooldown", "90"]).cooldownSeconds, 90)
        for bad in ["-1", "nan", "4000", "soon"] {
            XCTAssertThrowsError(try BenchOptions.parse(["m.mlpackage", "--cooldown=\(bad)"]), bad)
        }
    }

    func testChangingIterationsKeepsTheTrimFraction() throws {
        let options = try BenchOptions.parse(["m.mlpackage", "--protocol", "modelbench", "--iterations", "20"])
        XCTAssertEqual(options.benchProtocol.trim, 4, "10 of 50 is 4 of 20, as edgerep's with_counts")
        XCTAssertEqual(options.benchProtocol.name, "custom")
        let same = try BenchOptions.parse(["m.mlpackage", "--protocol", "quick", "--rounds", "2"])
        XCTAssertEqual(same.benchProtocol, .quick, "no change keeps the preset's name")
    }

    func testErrorsNameTheArgumentAndWhatIsAllowed() {
        let cases: [([String], String)] = [
            (["--compute-units", "npu"], "cpu-ne"),
            (["--protocol", "slow"], "modelbench"),
            (["--rounds", "many"], "--rounds must be an integer"),
            (["--iterations", "4", "--trim", "2"], "trim < iterations / 2"),
            (["--rounds", "0"], "rounds must be a positive integer"),
            (["--json"], "--json needs a value"),
            (["--sample"], "did you mean --samples?"),
            (["--quick", "--protocol", "modelbench"], "--quick conflicts"),
            (["--suite", "audio"], "imagenet, face"),
            (["--force=yes"], "takes no value"),
        ]
        for (arguments, expected) in cases {
            XCTAssertThrowsError(try BenchOptions.parse(["m.mlpackage"] + arguments), "\(arguments)") { error in
                XCTAssertEqual((error as? BenchError)?.kind, .invalidOption)
                XCTAssertTrue("\(error)".contains(expected), "'\(error)' does not say '\(expected)'")
            }
        }
    }

    func testCommandLineStringOfTheXCTest() throws {
        let options = try BenchOptions.parse(commandLine: "  --quick\t--compute-units every --samples ")
        XCTAssertEqual(options.benchProtocol, .quick)
        XCTAssertEqual(options.computeUnits, ComputeUnits.allCases)
        XCTAssertTrue(options.keepSamples)
        XCTAssertTrue(try BenchOptions.parse(["-h"]).showHelp)
        XCTAssertTrue(BenchOptions.usage.contains("--compute-units"))
    }

    func testComputeUnitNamesAndBackends() throws {
        XCTAssertEqual(ComputeUnits.allCases.map(\.backend), ["ALL", "CPU_ONLY", "CPU_AND_GPU", "CPU_AND_NE"])
        for units in ComputeUnits.allCases {
            XCTAssertEqual(try ComputeUnits(parsing: units.rawValue), units)
            XCTAssertEqual(try ComputeUnits(parsing: units.backend), units)
        }
        XCTAssertEqual(try ComputeUnits.parseList("all, all ,gpu"), [.all, .cpuAndGPU])
        XCTAssertThrowsError(try ComputeUnits.parseList("all,,cpu"))
    }
}
