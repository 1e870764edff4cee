import EdgeRepBenchCore
import Foundation
#if canImport(CoreML)
import EdgeRepBenchCoreML
#endif

/// The measuring part of the command line: Core ML on macOS, a clear refusal elsewhere.
enum CoreMLCommand {
    #if canImport(CoreML)
    static func run(_ options: BenchOptions) async -> Int32 {
        let models: [URL]
        let outputURL = options.jsonPath.map { URL(fileURLWithPath: $0) }
        do {
            models = try selectModels(options)
            if let outputURL {
                try ReportFile.checkWritable(outputURL, force: options.force)
            }
        } catch {
            Console.error("edgerep-bench: \(error.localizedDescription)")
            return 2
        }
        let benchmark = CoreMLBenchmark(settings: .init(options: options), tool: .macOS)
        let report = await benchmark.run(
            models: models, computeUnits: options.computeUnits, machine: DeviceInfo.machine(name: options.deviceName)
        ) { progress in
            if case .measuring(let step) = progress.step, step.phase == .loading, step.round > 0 {
                return  // one line per round is enough: log the finished rounds only
            }
            Console.error(progress.summary)
        }
        Console.output(ReportTable.render(report))
        if let outputURL {
            do {
                try ReportFile.write(ReportFile.encode(report), to: outputURL, force: options.force)
                Console.error("wrote \(outputURL.path) (read it with: edgerep bench ingest \(outputURL.path))")
            } catch {
                Console.error("edgerep-bench: \(error.localizedDescription)")
                return 2
            }
        }
        return report.records.allSatisfy { $0.status == .ok } ? 0 : 1
    }

    /// The models named on the command line (folders expanded), kept to the suite's when one is given.
    static func selectModels(_ options: BenchOptions) throws -> [URL] {
        let models = try ModelFiles.resolve(options.models)
        guard let suite = options.suite else {
            return models
        }
        let byName = Dictionary(models.map { (ModelIdentity.stem(of: $0.lastPathComponent), $0) },
                                uniquingKeysWith: { first, _ in first })
        let selected = suite.select(Array(byName.keys)).compactMap { byName[$0] }
        guard !selected.isEmpty else {
            let found = models.map(\.lastPathComponent).joined(separator: ", ")
            throw BenchError(
                .invalidOption,
                "no model of the \(suite.name) suite among \(found); export them with "
                    + "'edgerep export MODEL --target coreml -o DIR' (see ios_harness/README.md)")
        }
        return selected
    }
    #else
    static func run(_ options: BenchOptions) async -> Int32 {
        Console.error(
            "edgerep-bench: Core ML is unavailable on this platform: it runs on macOS (and in the iOS app). "
                + "The options were valid; run the same command on a Mac.")
        return 2
    }
    #endif
}
