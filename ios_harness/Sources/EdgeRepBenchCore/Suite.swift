/// The families edgerep benchmarks against their baselines (edgerep.bench.SUITES): `imagenet` is
/// FastViT and RepNeXt against MobileOne, `face` is FaceLiVT against EdgeFace.
///
/// Models are recognised by their name (an export is `<model>[_<precision>].mlpackage`), as edgerep
/// selects them by name patterns.
public struct Suite: Equatable, Sendable {
    public let name: String
    /// Model-name prefixes of the suite's families, in report order (edgerep's patterns without `*`).
    public let prefixes: [String]
    /// The prefixes of the baseline families (edgerep's registry marks MobileOne and EdgeFace).
    public let baselinePrefixes: [String]

    public static let imagenet = Suite(
        name: "imagenet", prefixes: ["fastvit_", "repnext_", "mobileone_"], baselinePrefixes: ["mobileone_"])
    public static let face = Suite(name: "face", prefixes: ["facelivt", "edgeface_"], baselinePrefixes: ["edgeface_"])
    public static let all: [Suite] = [.imagenet, .face]

    /// Whether the model called `name` is a baseline of any suite (before its metadata is read).
    public static func isBaseline(model name: String) -> Bool {
        let lowered = name.lowercased()
        return all.contains { suite in suite.baselinePrefixes.contains { lowered.hasPrefix($0) } }
    }

    /// The suite called `name`; throws naming the suites when there is none.
    public static func named(_ name: String) throws -> Suite {
        guard let suite = all.first(where: { $0.name == name.lowercased() }) else {
            let names = all.map(\.name).joined(separator: ", ")
            throw BenchError(.invalidOption, "suite must be one of \(names), got '\(name)'")
        }
        return suite
    }

    /// Whether the model called `name` belongs to the suite.
    public func contains(model name: String) -> Bool {
        familyIndex(of: name) != nil
    }

    /// The members of `names` in report order: family by family, then by name (digits compared as
    /// numbers, so `fastvit_t8` comes before `fastvit_t12`).
    public func select(_ names: [String]) -> [String] {
        names
            .compactMap { name in familyIndex(of: name).map { (index: $0, name: name) } }
            .sorted { $0.index != $1.index ? $0.index < $1.index : NaturalOrder.less($0.name, $1.name) }
            .map(\.name)
    }

    private func familyIndex(of name: String) -> Int? {
        let lowered = name.lowercased()
        return prefixes.firstIndex(where: { lowered.hasPrefix($0) })
    }
}

/// Names compared with runs of digits read as numbers (`t8` < `t12`).
public enum NaturalOrder {
    public static func less(_ lhs: String, _ rhs: String) -> Bool {
        let left = chunks(lhs)
        let right = chunks(rhs)
        for (a, b) in zip(left, right) where a != b {
            switch (a, b) {
            case let (.number(x), .number(y)): return x < y
            case let (.text(x), .text(y)): return x < y
            case (.number, .text): return true
            case (.text, .number): return false
            }
        }
        return left.count < right.count
    }

    private enum Chunk: Equatable {
        case text(String)
        case number(Int)
    }

    private static func chunks(_ text: String) -> [Chunk] {
        var result: [Chunk] = []
        var current = ""
        var inDigits = false
        for character in text {
            let isDigit = character.isASCII && character.isNumber
            if !current.isEmpty && isDigit != inDigits {
                result.append(chunk(current, digits: inDigits))
                current = ""
            }
            current.append(character)
            inDigits = isDigit
        }
        if !current.isEmpty {
            result.append(chunk(current, digits: inDigits))
        }
        return result
    }

    private static func chunk(_ text: String, digits: Bool) -> Chunk {
        if digits, let value = Int(text) {
            return .number(value)
        }
        return .text(text)
    }
}
