#if canImport(CoreML)
@preconcurrency import CoreML
import EdgeRepBenchCore
import Foundation

/// The input of a run, built once from the first loaded model and reused by every round (the
/// description is the same each time), with the model's metadata read on the way.
final class InputCache {
    private(set) var features: (any MLFeatureProvider)?
    /// The model's `creatorDefinedKey` metadata (edgerep's `edgerep.*` entries among them).
    private(set) var creatorMetadata: [String: String] = [:]
    private(set) var metadata: ArtifactMetadata?

    func features(for model: MLModel) throws -> any MLFeatureProvider {
        if let features {
            return features
        }
        let description = model.modelDescription
        creatorMetadata = description.metadata[MLModelMetadataKey.creatorDefinedKey] as? [String: String] ?? [:]
        metadata = try ArtifactMetadata.parse(creatorMetadata)
        let built = try InputFactory.features(for: description, metadata: metadata)
        features = built
        return built
    }
}

/// One loaded `MLModel` and its input: `predict()` is one synchronous prediction.
///
/// Prediction is called from this synchronous method on purpose: inside an `async` function the
/// compiler may pick Core ML's async `prediction(from:)` overload, which times differently.
final class CoreMLPredictor: Predictor {
    private let model: MLModel
    private let inputs: InputCache
    private var features: (any MLFeatureProvider)?

    /// Loads the compiled model (what the protocol times as `load_ms`).
    init(compiledURL: URL, computeUnits: ComputeUnits, inputs: InputCache) throws {
        model = try MLModel(contentsOf: compiledURL, configuration: computeUnits.configuration())
        self.inputs = inputs
    }

    /// Builds the input the first time (untimed).
    func prepare() throws {
        features = try inputs.features(for: model)
    }

    func predict() throws {
        guard let features else {
            throw BenchError(.unsupportedModel, "predict() before prepare(): no input")
        }
        _ = try model.prediction(from: features)
    }
}
#endif
