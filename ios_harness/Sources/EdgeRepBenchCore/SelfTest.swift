import Foundation

/// A Foundation-only workload the protocol can time anywhere Swift runs (Linux included): an
/// `n` x `n` by `n` x `n` single-precision matrix product in plain Swift loops.
///
/// `edgerep-bench --selftest` measures it with the same protocol loop, statistics, report types and
/// file writer as a Core ML run, so CI on Linux can check that the command line writes a report
/// `edgerep bench ingest` accepts. Its latency says how fast this build of Swift multiplies
/// matrices on this machine, nothing about a model.
public final class MatrixProductWorkload: Predictor {
    public let size: Int
    private var lhs: [Float]
    private var rhs: [Float]
    /// The last product (kept so that the work cannot be optimized away, and checked by `verify`).
    public private(set) var product: [Float]

    public init(size: Int) throws {
        guard size >= 1, size <= 1024 else {
            throw BenchError(.invalidOption, "the self-test matrix size must be within 1...1024, got \(size)")
        }
        self.size = size
        // Small integers: every product and sum is exact in Float, so `verify` can compare exactly.
        lhs = (0..<(size * size)).map { Float($0 % 7) - 3 }
        rhs = (0..<(size * size)).map { Float($0 % 5) - 2 }
        product = [Float](repeating: 0, count: size * size)
    }

    /// Multiply-accumulates of one product.
    public var macs: Int { size * size * size }

    public func predict() throws {
        let n = size
        lhs.withUnsafeBufferPointer { a in
            rhs.withUnsafeBufferPointer { b in
                product.withUnsafeMutableBufferPointer { c in
                    for i in 0..<n {
                        for j in 0..<n {
                            c[i * n + j] = 0
                        }
                        for k in 0..<n {
                            let scale = a[i * n + k]
                            for j in 0..<n {
                                c[i * n + j] += scale * b[k * n + j]
                            }
                        }
                    }
                }
            }
        }
    }

    /// Throws unless `product` is the exact product (computed again in Int).
    public func verify() throws {
        let n = size
        for i in 0..<n {
            for j in 0..<n {
                var sum = 0
                for k in 0..<n {
                    sum += Int(lhs[i * n + k]) * Int(rhs[k * n + j])
                }
                guard Float(sum) == product[i * n + j] else {
                    throw BenchError(.unsupportedModel, "self-test product wrong at [\(i), \(j)]: \(product[i * n + j]) != \(sum)")
                }
            }
        }
    }
}

/// The self-test report: the protocol on `MatrixProductWorkload`, as one record.
public enum SelfTest {
    /// The matrix size `edgerep-bench --selftest` uses (262,144 multiply-accumulates).
    public static let defaultSize = 64

    /// Runs `benchProtocol` on an `size`-sized product with `clock`, and returns the report.
    public static func report<C: MonotonicClock>(
        size: Int = defaultSize, benchProtocol: BenchProtocol, keepSamples: Bool, clock: C, machine: MachineInfo,
        tool: ToolInfo, created: String, swiftVersion: String
    ) throws -> BenchReport {
        var last: MatrixProductWorkload?
        let run = try ProtocolRunner(benchProtocol, clock: clock).run(load: { () throws -> MatrixProductWorkload in
            let workload = try MatrixProductWorkload(size: size)
            last = workload
            return workload
        })
        try last?.verify()
        var identity = ModelIdentity(metadata: nil, fileName: "swift_matmul_\(size)")
        identity.precision = "fp32"
        identity.macs = size * size * size
        identity.inputShape = [size, size]
        let record = try BenchRecord.measured(
            identity, runtime: "swift", runtimeVersion: swiftVersion, backend: "cpu", run: run,
            benchProtocol: benchProtocol, keepSamples: keepSamples,
            extra: ["selftest": .string("a \(size)x\(size) fp32 matrix product in plain Swift loops, not a model")])
        var threaded = record
        threaded.threads = 1
        return BenchReport(
            created: created, tool: tool, machine: machine, benchProtocol: benchProtocol,
            runtimes: ["swift": swiftVersion], records: [threaded],
            extra: ["selftest": true])
    }
}
