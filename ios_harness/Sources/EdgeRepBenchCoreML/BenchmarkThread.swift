#if canImport(CoreML)
import Dispatch
import Foundation

/// Runs synchronous measurement work on its own dispatch queue, off the Swift concurrency pool
/// (a benchmark holds a thread for seconds; the cooperative pool should not lose one to it).
enum BenchmarkThread {
    private static let queue = DispatchQueue(label: "org.edgerep.bench.measure", qos: .userInitiated)

    static func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try work() })
            }
        }
    }
}

/// A cancellation request that synchronous code can poll (Swift task cancellation does not reach a
/// dispatch queue).
final class CancellationFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var cancelled = false

    var isCancelled: Bool {
        lock.lock()
        defer { lock.unlock() }
        return cancelled
    }

    func cancel() {
        lock.lock()
        cancelled = true
        lock.unlock()
    }
}
#endif
