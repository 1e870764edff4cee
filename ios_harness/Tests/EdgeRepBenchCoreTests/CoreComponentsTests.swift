import Foundation
import XCTest

@testable import EdgeRepBenchCore

final class BenchProtocolTests: XCTestCase {
    func testPresetsAreEdgerepsProtocols() throws {
        XCTAssertEqual(try BenchProtocol.named("modelbench"),
                       try BenchProtocol(name: "modelbench", rounds: 20, iterations: 50, warmup: 1, trim: 10))
        XCTAssertEqual(try BenchProtocol.named("default"),
                       try BenchProtocol(name: "default", rounds: 5, iterations: 10, warmup: 1, trim: 2))
        XCTAssertEqual(try BenchProtocol.named("QUICK"),
                       try BenchProtocol(name: "quick", rounds: 2, iterations: 5, warmup: 1, trim: 1))
        XCTAssertEqual(BenchProtocol.modelbench.timed, 1000)
    }

    func testInvalidCountsAreRefused() {
        XCTAssertThrowsError(try BenchProtocol(name: "x", rounds: 1, iterations: 10, trim: 5)) { error in
            XCTAssertTrue("\(error)".contains("at most 4"))
        }
        XCTAssertThrowsError(try BenchProtocol(name: "x", rounds: 1, iterations: 1, warmup: -1))
        XCTAssertThrowsError(try BenchProtocol(name: "", rounds: 1, iterations: 1))
    }

    func testEncodesAsTheReportsProtocolBlock() throws {
        let json = try JSONValue.parse(JSONEncoder().encode(BenchProtocol.modelbench))
        XCTAssertEqual(json, ["name": "modelbench", "rounds": 20, "iterations": 50, "warmup": 1, "trim": 10, "reload": true])
    }
}

final class SyntheticInputTests: XCTestCase {
    func testNormalizedPerChannelInBothLayouts() throws {
        let mean = [0.0, 10.0, 20.0]
        let std = [1.0, 1.0, 0.5]
        let first = try SyntheticInput.tensor(shape: [1, 3, 4, 5], layout: .channelsFirst, mean: mean, std: std)
        XCTAssertEqual(first.count, 60)
        for (index, value) in first.enumerated() {
            let channel = index / 20
            let pixel = Double(value) * std[channel] + mean[channel]
            XCTAssertTrue(pixel > -1e-3 && pixel < 1 + 1e-3, "element \(index) is not a normalized pixel of channel \(channel)")
        }
        let last = try SyntheticInput.tensor(shape: [1, 4, 5, 3], layout: .channelsLast, mean: mean, std: std)
        for (index, value) in last.enumerated() {
            let channel = index % 3
            let pixel = Double(value) * std[channel] + mean[channel]
            XCTAssertTrue(pixel > -1e-3 && pixel < 1 + 1e-3, "element \(index) is not a normalized pixel of channel \(channel)")
        }
    }

    func testSeededAndVaried() throws {
        let a = try SyntheticInput.tensor(shape: [2, 8], layout: nil, mean: nil, std: nil, seed: 7)
        let b = try SyntheticInput.tensor(shape: [2, 8], layout: nil, mean: nil, std: nil, seed: 7)
        XCTAssertEqual(a, b)
        XCTAssertTrue(a.allSatisfy { $0 >= -1 && $0 < 1 })
        XCTAssertGreaterThan(Set(a).count, 8, "values vary")
        XCTAssertNotEqual(a, try SyntheticInput.tensor(shape: [2, 8], layout: nil, mean: nil, std: nil, seed: 8))
        XCTAssertEqual(SyntheticInput.bytes(count: 16, seed: 1), SyntheticInput.bytes(count: 16, seed: 1))
        XCTAssertGreaterThan(Set(SyntheticInput.bytes(count: 256)).count, 64)
        XCTAssertThrowsError(try SyntheticInput.tensor(shape: [1, 0, 3], layout: nil, mean: nil, std: nil))
        XCTAssertEqual(SyntheticInput.Layout(metadataLayout: "nchw"), .channelsFirst)
        XCTAssertNil(SyntheticInput.Layout(metadataLayout: "image"))
    }
}

final class ComputePlanSummaryTests: XCTestCase {
    func testCountsPerDeviceAndOperatorWithoutConst() {
        let summary = ComputePlanSummary(operations: [
            PlannedOperation(operatorName: "const", preferred: .cpu, supported: [.cpu], costWeight: 0),
            PlannedOperation(operatorName: "conv", preferred: .neuralEngine, supported: [.neuralEngine], costWeight: 0.75),
            PlannedOperation(operatorName: "conv", preferred: .gpu, supported: [.gpu, .neuralEngine], costWeight: 0.25),
            PlannedOperation(operatorName: "softmax", preferred: nil, supported: [], costWeight: nil),
        ])
        XCTAssertEqual(summary.operations, 3)
        XCTAssertEqual(summary.preferred, ["neural_engine": 1, "gpu": 1, "cpu": 0, "unknown": 1])
        XCTAssertEqual(summary.byOperator, ["conv": ["neural_engine": 1, "gpu": 1], "softmax": ["unknown": 1]])
        XCTAssertEqual(summary.estimatedCost, ["neural_engine": 0.75, "gpu": 0.25])
        XCTAssertEqual(summary.neuralEngineCapableElsewhere, 1)
        XCTAssertTrue(summary.hasDeviceInformation)
        XCTAssertNil(summary.json["note"])
    }

    func testAPlanWithoutDevicesSaysHowToGetThem() {
        let summary = ComputePlanSummary(operations: [
            PlannedOperation(operatorName: "conv", preferred: nil, supported: [], costWeight: nil),
        ])
        XCTAssertFalse(summary.hasDeviceInformation)
        XCTAssertTrue(summary.json["note"]?.stringValue?.contains("--deployment-target") ?? false)
        XCTAssertNil(summary.json["estimated_cost"])
    }
}

final class ModelFilesTests: XCTestCase {
    /// A temporary folder with a package (two files, 3 + 5 bytes), a single-file model and a note.
    private func makeModelFolder() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("edgerep-\(UUID().uuidString)")
        let package = directory.appendingPathComponent("b_model.mlpackage/Data", isDirectory: true)
        try FileManager.default.createDirectory(at: package, withIntermediateDirectories: true)
        try Data(count: 3).write(to: package.appendingPathComponent("weights.bin"))
        try Data(count: 5).write(to: directory.appendingPathComponent("b_model.mlpackage/Manifest.json"))
        try Data(count: 7).write(to: directory.appendingPathComponent("a_model.mlmodel"))
        try Data(count: 1).write(to: directory.appendingPathComponent("notes.txt"))
        return directory
    }

    func testFindsModelsSortedAndMeasuresPackages() throws {
        let directory = try makeModelFolder()
        defer { try? FileManager.default.removeItem(at: directory) }
        let models = try ModelFiles.models(in: directory)
        XCTAssertEqual(models.map(\.lastPathComponent), ["a_model.mlmodel", "b_model.mlpackage"])
        XCTAssertEqual(try ModelFiles.sizeInBytes(of: models[1]), 8, "a package's size is the sum of its files")
        XCTAssertEqual(try ModelFiles.sizeInBytes(of: models[0]), 7)
    }

    func testResolveExpandsFoldersAndNamesBadPaths() throws {
        let directory = try makeModelFolder()
        defer { try? FileManager.default.removeItem(at: directory) }
        let single = directory.appendingPathComponent("a_model.mlmodel").path
        let resolved = try ModelFiles.resolve([directory.path, single])
        XCTAssertEqual(resolved.map(\.lastPathComponent), ["a_model.mlmodel", "b_model.mlpackage"], "duplicates dropped")
        XCTAssertThrowsError(try ModelFiles.resolve([directory.appendingPathComponent("missing.mlpackage").path])) { error in
            XCTAssertTrue("\(error)".contains("does not exist"))
        }
        XCTAssertThrowsError(try ModelFiles.resolve([directory.appendingPathComponent("notes.txt").path])) { error in
            XCTAssertTrue("\(error)".contains("not a Core ML model"))
        }
    }
}

final class SuiteTests: XCTestCase {
    func testSuitesSelectTheirFamiliesInReportOrder() throws {
        let names = ["mobileone_s0", "fastvit_t12", "edgeface_xs_gamma_06", "fastvit_t8", "repnext_m1", "facelivt_s"]
        XCTAssertEqual(Suite.imagenet.select(names), ["fastvit_t8", "fastvit_t12", "repnext_m1", "mobileone_s0"])
        XCTAssertEqual(Suite.face.select(names), ["facelivt_s", "edgeface_xs_gamma_06"])
        XCTAssertEqual(try Suite.named("Face"), .face)
        XCTAssertTrue(NaturalOrder.less("fastvit_t8", "fastvit_t12"))
        XCTAssertFalse(NaturalOrder.less("fastvit_t12", "fastvit_t8"))
        XCTAssertTrue(NaturalOrder.less("fastvit_s12", "fastvit_sa12"))
        XCTAssertTrue(Suite.isBaseline(model: "mobileone_s0"))
        XCTAssertTrue(Suite.isBaseline(model: "edgeface_xxs"))
        XCTAssertFalse(Suite.isBaseline(model: "fastvit_t8"))
    }
}
