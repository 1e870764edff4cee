#if canImport(CoreML)
@preconcurrency import CoreML
import CoreVideo
import EdgeRepBenchCore
import Foundation

/// Builds a prediction input from a model's description: an `MLMultiArray` per tensor input (filled
/// with normalized pixels when edgerep's metadata gives the layout, mean and std), a `CVPixelBuffer`
/// per image input (ImageType).
enum InputFactory {
    static func features(
        for description: MLModelDescription, metadata: ArtifactMetadata?
    ) throws -> MLDictionaryFeatureProvider {
        var features: [String: MLFeatureValue] = [:]
        let inputs = description.inputDescriptionsByName.sorted { $0.key < $1.key }
        for (offset, (name, feature)) in inputs.enumerated() {
            features[name] = try value(for: feature, metadata: metadata, seed: UInt64(offset))
        }
        guard !features.isEmpty else {
            throw BenchError(.unsupportedModel, "the model has no input to feed")
        }
        return try MLDictionaryFeatureProvider(dictionary: features)
    }

    private static func value(
        for feature: MLFeatureDescription, metadata: ArtifactMetadata?, seed: UInt64
    ) throws -> MLFeatureValue {
        switch feature.type {
        case .multiArray:
            guard let constraint = feature.multiArrayConstraint else {
                throw BenchError(.unsupportedModel, "input '\(feature.name)' is a multi-array without a shape")
            }
            // edgerep's metadata describes this input: feed normalized pixels in its layout.
            let described = metadata?.input.flatMap { $0.name == feature.name && $0.kind == .tensor ? $0 : nil }
            let array = try multiArray(
                constraint, layout: described?.layout,
                preprocessing: described == nil ? nil : metadata?.preprocessing, seed: seed)
            return MLFeatureValue(multiArray: array)
        case .image:
            guard let constraint = feature.imageConstraint else {
                throw BenchError(.unsupportedModel, "input '\(feature.name)' is an image without a size")
            }
            let buffer = try pixelBuffer(constraint, seed: seed)
            return MLFeatureValue(pixelBuffer: buffer)
        default:
            throw BenchError(
                .unsupportedModel,
                "input '\(feature.name)' has a type the harness cannot feed (MLFeatureType \(feature.type.rawValue)); "
                    + "it feeds multi-array and image inputs")
        }
    }

    /// A multi-array of the constraint's (default) shape and data type.
    static func multiArray(
        _ constraint: MLMultiArrayConstraint, layout: String?, preprocessing: ArtifactMetadata.Preprocessing?,
        seed: UInt64
    ) throws -> MLMultiArray {
        let shape = constraint.shape.map(\.intValue)
        let values = try SyntheticInput.tensor(
            shape: shape, layout: SyntheticInput.Layout(metadataLayout: layout), mean: preprocessing?.mean,
            std: preprocessing?.std, seed: seed)
        let array = try MLMultiArray(shape: constraint.shape, dataType: constraint.dataType)
        switch array.dataType {
        case .float32:
            array.withUnsafeMutableBufferPointer(ofType: Float.self) { buffer, _ in
                for index in 0..<Swift.min(buffer.count, values.count) {
                    buffer[index] = values[index]
                }
            }
        case .double:
            array.withUnsafeMutableBufferPointer(ofType: Double.self) { buffer, _ in
                for index in 0..<Swift.min(buffer.count, values.count) {
                    buffer[index] = Double(values[index])
                }
            }
        case .int32:
            array.withUnsafeMutableBufferPointer(ofType: Int32.self) { buffer, _ in
                for index in 0..<Swift.min(buffer.count, values.count) {
                    buffer[index] = Int32(values[index].rounded())
                }
            }
        default:
            // float16 and newer types: through NSNumber (slower, once per run).
            for index in 0..<Swift.min(array.count, values.count) {
                array[index] = NSNumber(value: values[index])
            }
        }
        return array
    }

    /// A pixel buffer of the constraint's size and pixel format, filled with seeded pixels row by row
    /// (rows are `CVPixelBufferGetBytesPerRow` apart: they can be padded beyond `width * 4`).
    static func pixelBuffer(_ constraint: MLImageConstraint, seed: UInt64) throws -> CVPixelBuffer {
        let width = constraint.pixelsWide
        let height = constraint.pixelsHigh
        let format = constraint.pixelFormatType
        let bytesPerPixel: Int
        switch format {
        case kCVPixelFormatType_32BGRA, kCVPixelFormatType_32ARGB, kCVPixelFormatType_32RGBA:
            bytesPerPixel = 4
        case kCVPixelFormatType_OneComponent8:
            bytesPerPixel = 1
        default:
            throw BenchError(
                .unsupportedModel,
                "image input pixel format \(fourCharacterCode(format)) is not supported; the harness feeds "
                    + "32BGRA, 32ARGB, 32RGBA and OneComponent8 images")
        }
        guard width > 0, height > 0 else {
            throw BenchError(.unsupportedModel, "image input has no size (\(width) x \(height))")
        }
        let attributes: [String: Any] = [kCVPixelBufferIOSurfacePropertiesKey as String: [String: Any]()]
        var created: CVPixelBuffer?
        let status = CVPixelBufferCreate(
            kCFAllocatorDefault, width, height, format, attributes as CFDictionary, &created)
        guard status == kCVReturnSuccess, let buffer = created else {
            throw BenchError(.unsupportedModel, "CVPixelBufferCreate(\(width) x \(height)) failed with status \(status)")
        }
        guard CVPixelBufferLockBaseAddress(buffer, []) == kCVReturnSuccess else {
            throw BenchError(.unsupportedModel, "cannot lock the pixel buffer to fill it")
        }
        defer { CVPixelBufferUnlockBaseAddress(buffer, []) }
        guard let base = CVPixelBufferGetBaseAddress(buffer) else {
            throw BenchError(.unsupportedModel, "the pixel buffer has no base address")
        }
        let bytesPerRow = CVPixelBufferGetBytesPerRow(buffer)
        let rowBytes = width * bytesPerPixel
        let pixels = SyntheticInput.bytes(count: rowBytes * height, seed: seed)
        for row in 0..<height {
            let destination = base.advanced(by: row * bytesPerRow).assumingMemoryBound(to: UInt8.self)
            for column in 0..<rowBytes {
                destination[column] = pixels[row * rowBytes + column]
            }
        }
        return buffer
    }

    /// `OSType` as its four characters, e.g. `BGRA`.
    private static func fourCharacterCode(_ code: OSType) -> String {
        let bytes = [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: code >> $0) }
        let printable = bytes.allSatisfy { $0 >= 32 && $0 < 127 }
        return printable ? String(decoding: bytes, as: UTF8.self) : String(code)
    }
}
#endif
