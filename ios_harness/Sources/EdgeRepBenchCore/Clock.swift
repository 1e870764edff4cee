import Dispatch

/// A monotonic clock in integer nanoseconds. The protocol loop reads it around each load and
/// prediction; every duration is `(end - start) / 1e6` milliseconds, as in edgerep and the
/// Android harness, so a scripted clock gives the same figures in all three.
public protocol MonotonicClock {
    /// Nanoseconds since an arbitrary fixed point; never decreases.
    func now() -> UInt64
}

/// The production clock: `DispatchTime.now().uptimeNanoseconds` (mach absolute time on Apple
/// platforms, CLOCK_MONOTONIC on Linux). Unlike `Date()`, which ModelBench uses, it never jumps.
public struct UptimeClock: MonotonicClock, Sendable {
    public init() {}

    public func now() -> UInt64 {
        DispatchTime.now().uptimeNanoseconds
    }
}

/// Milliseconds between two readings of a `MonotonicClock` (0 if the clock went backwards).
@inlinable
public func elapsedMilliseconds(from start: UInt64, to end: UInt64) -> Double {
    end >= start ? Double(end - start) / 1e6 : 0
}
