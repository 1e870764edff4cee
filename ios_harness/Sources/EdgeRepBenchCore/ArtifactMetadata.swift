import Foundation

/// What an edgerep export says about itself: the `edgerep.*` entries of a Core ML model's
/// user-defined metadata (`MLModelMetadataKey.creatorDefinedKey`), written by edgerep's
/// `exporters/metadata.flatten`: top-level scalars as text, nested values as compact JSON.
///
/// Enough to fill a report record from the artifact alone (model, family, task, baseline, params,
/// fused MACs per image, precision, input shape) and to build a realistic input (layout, image or
/// tensor, normalization).
public struct ArtifactMetadata: Equatable, Sendable {
    /// The model's input as edgerep exported it (`edgerep.input`).
    public struct Input: Codable, Equatable, Sendable {
        public enum Kind: String, Codable, Sendable {
            /// A float tensor to feed already normalized.
            case tensor
            /// Raw RGB pixels (a Core ML ImageType); the normalization is inside the model.
            case image
        }

        public var name: String
        public var shape: [Int]
        /// `NCHW`, `NHWC`, or `image`.
        public var layout: String?
        public var dtype: String?
        public var kind: Kind

        public init(name: String, shape: [Int], layout: String?, dtype: String?, kind: Kind) {
            self.name = name
            self.shape = shape
            self.layout = layout
            self.dtype = dtype
            self.kind = kind
        }
    }

    /// How pixels become the model's input (`edgerep.preprocessing`): `(x / 255 - mean) / std`.
    public struct Preprocessing: Codable, Equatable, Sendable {
        public var mean: [Double]?
        public var std: [Double]?
        public var color: String?
        /// What the graph itself does, e.g. "none: feed (x/255 - mean)/std, NCHW".
        public var inGraph: String?

        public init(mean: [Double]?, std: [Double]?, color: String? = "RGB", inGraph: String? = nil) {
            self.mean = mean
            self.std = std
            self.color = color
            self.inGraph = inGraph
        }

        enum CodingKeys: String, CodingKey {
            case mean, std, color
            case inGraph = "in_graph"
        }
    }

    /// The model's output (`edgerep.output`).
    public struct Output: Codable, Equatable, Sendable {
        public var name: String?
        public var shape: [Int]?

        public init(name: String?, shape: [Int]?) {
            self.name = name
            self.shape = shape
        }
    }

    public static let keyPrefix = "edgerep."

    /// The registered model name, e.g. `fastvit_t8`.
    public var model: String
    public var family: String?
    /// `classification` or `face-embedding`.
    public var task: String?
    /// Whether the model is a baseline of its suite (MobileOne, EdgeFace).
    public var baseline: Bool
    /// Whether the exported graph is the fused (reparameterized) form.
    public var fused: Bool
    public var params: Int?
    /// Multiply-accumulates per image of the fused form.
    public var macs: Int?
    /// `fp32`, `fp16` or `int8`.
    public var precision: String?
    public var input: Input?
    public var output: Output?
    public var preprocessing: Preprocessing?
    /// The edgerep version that exported the model.
    public var edgerepVersion: String?

    public init(model: String) {
        self.model = model
        self.baseline = false
        self.fused = true
    }

    /// Reads the `edgerep.*` entries of `userDefined`; nil when there is none (a model exported by
    /// another tool). Throws `invalidMetadata` naming the key and the value that cannot be read.
    public static func parse(_ userDefined: [String: String]) throws -> ArtifactMetadata? {
        let entries = userDefined.filter { $0.key.hasPrefix(keyPrefix) }
        guard !entries.isEmpty else {
            return nil
        }
        let reader = EntryReader(entries: entries)
        guard let model = try reader.text("model") else {
            throw BenchError(
                .invalidMetadata,
                "\(keyPrefix)model is missing from the model's edgerep metadata; re-export it with "
                    + "'edgerep export MODEL --target coreml'")
        }
        var metadata = ArtifactMetadata(model: model)
        metadata.family = try reader.text("family")
        metadata.task = try reader.text("task")
        metadata.baseline = try reader.flag("baseline") ?? false
        metadata.fused = try reader.flag("fused") ?? true
        metadata.params = try reader.integer("params")
        metadata.macs = try reader.integer("macs")
        metadata.precision = try reader.text("precision")
        metadata.input = try reader.json("input", as: Input.self)
        metadata.output = try reader.json("output", as: Output.self)
        metadata.preprocessing = try reader.json("preprocessing", as: Preprocessing.self)
        metadata.edgerepVersion = try reader.text("edgerep_version")
        return metadata
    }
}

/// Typed access to flattened `edgerep.*` entries; "null" reads as absent.
private struct EntryReader {
    let entries: [String: String]

    func raw(_ key: String) -> String? {
        guard let value = entries[ArtifactMetadata.keyPrefix + key], value != "null" else {
            return nil
        }
        return value
    }

    func text(_ key: String) throws -> String? {
        guard let value = raw(key) else { return nil }
        guard !value.isEmpty else {
            throw invalid(key, value, "a non-empty text")
        }
        return value
    }

    func flag(_ key: String) throws -> Bool? {
        guard let value = raw(key) else { return nil }
        switch value {
        case "true": return true
        case "false": return false
        default: throw invalid(key, value, "true or false")
        }
    }

    func integer(_ key: String) throws -> Int? {
        guard let value = raw(key) else { return nil }
        guard let number = Int(value), number >= 0 else {
            throw invalid(key, value, "a non-negative integer")
        }
        return number
    }

    func json<T: Decodable>(_ key: String, as type: T.Type) throws -> T? {
        guard let value = raw(key) else { return nil }
        do {
            return try JSONDecoder().decode(T.self, from: Data(value.utf8))
        } catch {
            throw invalid(key, value, "a JSON object as edgerep writes it")
        }
    }

    private func invalid(_ key: String, _ value: String, _ expected: String) -> BenchError {
        let shown = value.count > 60 ? String(value.prefix(57)) + "..." : value
        return BenchError(
            .invalidMetadata,
            "\(ArtifactMetadata.keyPrefix)\(key) must be \(expected), got '\(shown)'; re-export the model "
                + "with 'edgerep export MODEL --target coreml'")
    }
}
