import Foundation

/// A record's `peak_memory_bytes`: how far the process's peak resident memory rose while the model
/// loaded and ran (as edgerep measures it on Linux and the Android harness reads `VmHWM`).
///
/// The peak cannot be reset on Apple platforms, so a model whose use stays under an earlier peak
/// (an earlier, larger model of the same run) leaves no trace: then the growth is unknown (nil), never 0.
public enum PeakMemory {
    /// `after - before` when the peak rose, nil when it did not or a reading is missing.
    public static func growth(before: UInt64?, after: UInt64?) -> Int? {
        guard let before, let after, after > before else {
            return nil
        }
        return Int(clamping: after - before)
    }
}
