import Foundation

@testable import EdgeRepBenchCore

/// Files under Resources/ (copied into the test bundle by `.copy("Resources")`).
enum TestResources {
    static func data(_ name: String, in subdirectory: String) throws -> Data {
        let parts = name.split(separator: ".", maxSplits: 1).map(String.init)
        guard parts.count == 2,
              let url = Bundle.module.url(
                forResource: parts[0], withExtension: parts[1], subdirectory: "Resources/\(subdirectory)")
        else {
            throw BenchError(.fileSystem, "test resource Resources/\(subdirectory)/\(name) is missing")
        }
        return try Data(contentsOf: url)
    }

    /// The user-defined metadata of a real `edgerep export fastvit_t8 --target coreml`.
    static func fastViTMetadata() throws -> [String: String] {
        try JSONDecoder().decode([String: String].self, from: data("fastvit_t8.metadata.json", in: "fixtures"))
    }
}

/// Paths where two JSON values differ (at most `limit`), for readable failures.
func jsonDifferences(_ lhs: JSONValue, _ rhs: JSONValue, path: String = "$", limit: Int = 10) -> [String] {
    var found: [String] = []
    collectDifferences(lhs, rhs, path: path, into: &found, limit: limit)
    return found
}

private func collectDifferences(_ lhs: JSONValue, _ rhs: JSONValue, path: String, into found: inout [String], limit: Int) {
    guard found.count < limit, lhs != rhs else {
        return
    }
    switch (lhs, rhs) {
    case let (.object(left), .object(right)):
        for key in Set(left.keys).union(right.keys).sorted() {
            collectDifferences(left[key] ?? .null, right[key] ?? .null, path: "\(path).\(key)", into: &found, limit: limit)
        }
    case let (.array(left), .array(right)) where left.count == right.count:
        for (index, pair) in zip(left, right).enumerated() {
            collectDifferences(pair.0, pair.1, path: "\(path)[\(index)]", into: &found, limit: limit)
        }
    default:
        found.append("\(path): \(lhs) != \(rhs)")
    }
}

/// A model whose loads and predictions take scripted nanoseconds on a fake clock that advances only
/// inside the model (tools/conformance/bench.py `_ScriptedModel`).
final class ScriptedModel {
    private(set) var now: UInt64 = 0
    private let loadNs: [UInt64]
    private let predictNs: [UInt64]
    private(set) var loads = 0
    private(set) var predictions = 0

    init(loadNs: [UInt64], predictNs: [UInt64]) {
        self.loadNs = loadNs
        self.predictNs = predictNs
    }

    var clock: ScriptedClock { ScriptedClock(model: self) }

    func load() -> ScriptedPredictor {
        now += loadNs[loads % loadNs.count]
        loads += 1
        return ScriptedPredictor(model: self)
    }

    fileprivate func predict() {
        now += predictNs[predictions % predictNs.count]
        predictions += 1
    }
}

struct ScriptedClock: MonotonicClock {
    let model: ScriptedModel

    func now() -> UInt64 { model.now }
}

struct ScriptedPredictor: Predictor {
    let model: ScriptedModel

    func predict() { model.predict() }
}
