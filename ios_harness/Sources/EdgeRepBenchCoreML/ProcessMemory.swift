#if canImport(CoreML)
import Foundation
#if canImport(Darwin)
import Darwin
#endif

/// The process's peak resident memory so far: `getrusage(RUSAGE_SELF)`'s `ru_maxrss`, which Darwin
/// reports in bytes (Linux in kilobytes; this module runs on Apple platforms only).
enum ProcessMemory {
    static func peakResidentBytes() -> UInt64? {
        var usage = rusage()
        guard getrusage(RUSAGE_SELF, &usage) == 0, usage.ru_maxrss > 0 else {
            return nil
        }
        return UInt64(usage.ru_maxrss)
    }
}
#endif
