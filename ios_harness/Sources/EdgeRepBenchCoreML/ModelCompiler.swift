#if canImport(CoreML)
@preconcurrency import CoreML
import EdgeRepBenchCore
import Foundation

/// A model compiled on this device: the `.mlmodelc` Core ML loads (and `MLComputePlan` needs).
public struct CompiledModel: Equatable, Sendable {
    /// What the user gave (`.mlpackage`, `.mlmodel` or `.mlmodelc`).
    public let source: URL
    /// The compiled model.
    public let url: URL
    /// Time `MLModel.compileModel(at:)` took; nil when the source was already compiled.
    public let compileMs: Double?
}

/// Compiles `.mlpackage` / `.mlmodel` files on the device (SwiftPM and the app copy them as they are;
/// only Xcode's build compiles models) into a folder this compiler owns.
public struct ModelCompiler: Sendable {
    /// Where compiled models are kept, one `<name>.mlmodelc` per source.
    public let directory: URL

    public init(directory: URL) {
        self.directory = directory
    }

    /// A compiler whose folder is new, under the temporary directory.
    public static func temporary() -> ModelCompiler {
        let name = "edgerep-compiled-\(UUID().uuidString)"
        return ModelCompiler(directory: FileManager.default.temporaryDirectory.appendingPathComponent(name, isDirectory: true))
    }

    /// Compiles `source` (async `compileModel`, which writes to a temporary place) and moves the
    /// result into `directory`. A `.mlmodelc` is used as it is.
    public func compile(_ source: URL) async throws -> CompiledModel {
        guard source.pathExtension.lowercased() != "mlmodelc" else {
            return CompiledModel(source: source, url: source, compileMs: nil)
        }
        let clock = UptimeClock()
        let start = clock.now()
        let temporary = try await MLModel.compileModel(at: source)
        let compileMs = elapsedMilliseconds(from: start, to: clock.now())
        let fileManager = FileManager.default
        try fileManager.createDirectory(at: directory, withIntermediateDirectories: true)
        let name = source.deletingPathExtension().lastPathComponent + ".mlmodelc"
        let destination = directory.appendingPathComponent(name, isDirectory: true)
        if fileManager.fileExists(atPath: destination.path) {
            try fileManager.removeItem(at: destination)
        }
        try fileManager.moveItem(at: temporary, to: destination)
        return CompiledModel(source: source, url: destination, compileMs: compileMs)
    }

    /// Deletes every compiled model of this compiler.
    public func removeAll() {
        try? FileManager.default.removeItem(at: directory)
    }
}
#endif
