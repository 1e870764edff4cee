/// A small, fast, seeded generator (SplitMix64), so every run feeds the same input.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }

    /// A uniform double in [0, 1) from the top 53 bits.
    public mutating func nextUnit() -> Double {
        Double(next() >> 11) / 9_007_199_254_740_992.0
    }
}

/// Inputs with the statistics of real ones: latency does not depend on the values, but zeros can
/// take fast paths and NaNs or denormals slow ones. Pixels are uniform in [0, 255]; tensors are
/// pixels normalized as the model expects, `(x / 255 - mean[c]) / std[c]` for the channel `c` of
/// each element.
public enum SyntheticInput {
    /// Where the channel axis of a 4-d tensor is.
    public enum Layout: Sendable, Equatable {
        case channelsFirst  // NCHW
        case channelsLast  // NHWC

        /// `NCHW` / `NHWC` as edgerep's metadata spells them; nil for anything else.
        public init?(metadataLayout: String?) {
            switch metadataLayout?.uppercased() {
            case "NCHW"?: self = .channelsFirst
            case "NHWC"?: self = .channelsLast
            default: return nil
            }
        }
    }

    /// `count(shape)` values in row-major order. Without a known 4-d layout, or without mean and
    /// std for every channel, values are uniform in [-1, 1).
    public static func tensor(
        shape: [Int], layout: Layout?, mean: [Double]?, std: [Double]?, seed: UInt64 = 0
    ) throws -> [Float] {
        guard !shape.isEmpty, shape.allSatisfy({ $0 > 0 }) else {
            throw BenchError(.unsupportedModel, "input shape must have positive dimensions, got \(shape)")
        }
        let count = shape.reduce(1, *)
        var generator = SplitMix64(seed: seed)
        var values = [Float](repeating: 0, count: count)
        guard shape.count == 4, let layout, let mean, let std else {
            for index in 0..<count {
                values[index] = Float(generator.nextUnit() * 2 - 1)
            }
            return values
        }
        let channels = layout == .channelsFirst ? shape[1] : shape[3]
        guard mean.count == channels, std.count == channels, std.allSatisfy({ $0 != 0 }) else {
            for index in 0..<count {
                values[index] = Float(generator.nextUnit() * 2 - 1)
            }
            return values
        }
        let plane = shape[2] * shape[3]
        for index in 0..<count {
            let channel = layout == .channelsFirst ? (index / plane) % channels : index % channels
            let pixel = (generator.nextUnit() * 256).rounded(.down) / 255
            values[index] = Float((pixel - mean[channel]) / std[channel])
        }
        return values
    }

    /// `count` bytes uniform in 0...255 (pixel buffers).
    public static func bytes(count: Int, seed: UInt64 = 0) -> [UInt8] {
        var generator = SplitMix64(seed: seed)
        return (0..<Swift.max(count, 0)).map { _ in UInt8(truncatingIfNeeded: generator.next() >> 56) }
    }
}
