import EdgeRepBenchCore
import Foundation
#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// `swift run edgerep-bench MODEL.mlpackage --compute-units all --json out.json`: edgerep's protocol
/// on Core ML models from a Mac's terminal. See `BenchOptions.usage`.
@main
struct EdgeRepBenchCommand {
    static func main() async {
        let arguments = Array(ProcessInfo.processInfo.arguments.dropFirst())
        let status = await run(arguments)
        exit(status)
    }

    /// The exit status: 0 all measured, 1 a record failed, 2 a usage error or Core ML unavailable.
    static func run(_ arguments: [String]) async -> Int32 {
        let options: BenchOptions
        do {
            options = try BenchOptions.parse(arguments)
        } catch {
            Console.error("edgerep-bench: \(error.localizedDescription)")
            return 2
        }
        if options.showHelp {
            Console.output(BenchOptions.usage)
            return 0
        }
        if options.selfTest {
            return SelfTestCommand.run(options)
        }
        guard !options.models.isEmpty else {
            Console.error("edgerep-bench: name Core ML models or folders of them (see --help)")
            return 2
        }
        return await CoreMLCommand.run(options)
    }
}

/// Standard output and standard error without C's global `stdout`/`stderr` (mutable globals that
/// Swift 6 refuses to touch from concurrent code).
enum Console {
    static func output(_ text: String) {
        write(text, to: FileHandle.standardOutput)
    }

    static func error(_ text: String) {
        write(text, to: FileHandle.standardError)
    }

    private static func write(_ text: String, to handle: FileHandle) {
        let line = text.hasSuffix("\n") ? text : text + "\n"
        handle.write(Data(line.utf8))
    }
}
