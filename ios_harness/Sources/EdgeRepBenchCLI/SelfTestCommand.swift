import EdgeRepBenchCore
import Foundation

/// `edgerep-bench --selftest`: the protocol on a plain-Swift matrix product (`SelfTest`), through the
/// same statistics, report types and writer as a Core ML run. It runs on every platform, so Linux CI
/// can hand its report to `edgerep bench ingest` (ios_harness/linux-test.sh).
enum SelfTestCommand {
    static func run(_ options: BenchOptions) -> Int32 {
        let outputURL = options.jsonPath.map { URL(fileURLWithPath: $0) }
        do {
            if let outputURL {
                try ReportFile.checkWritable(outputURL, force: options.force)
            }
            let report = try SelfTest.report(
                benchProtocol: options.benchProtocol, keepSamples: options.keepSamples, clock: UptimeClock(),
                machine: machine(name: options.deviceName), tool: ToolInfo(name: "edgerep-bench", version: ToolInfo.harnessVersion),
                created: UTCTimestamp.string(from: Date()), swiftVersion: swiftVersion)
            Console.output(ReportTable.render(report))
            if let outputURL {
                try ReportFile.write(ReportFile.encode(report), to: outputURL, force: options.force)
                Console.error("wrote \(outputURL.path) (read it with: edgerep bench ingest \(outputURL.path))")
            }
            return 0
        } catch {
            Console.error("edgerep-bench: \(error.localizedDescription)")
            return 2
        }
    }

    /// The language version this binary was compiled with.
    static let swiftVersion: String = {
        #if swift(>=6.2)
        return "6.2+"
        #elseif swift(>=6.1)
        return "6.1"
        #elseif swift(>=6.0)
        return "6.0"
        #else
        return "5"
        #endif
    }()

    static func machine(name: String?) -> MachineInfo {
        let info = ProcessInfo.processInfo
        #if os(macOS)
        let os = "Darwin"
        #elseif os(Linux)
        let os = "Linux"
        #else
        let os = "unknown"
        #endif
        #if arch(arm64)
        let arch = "arm64"
        #elseif arch(x86_64)
        let arch = "x86_64"
        #else
        let arch = "unknown"
        #endif
        var machine = MachineInfo(kind: .host, name: name ?? (info.hostName.isEmpty ? "host" : info.hostName), os: os)
        machine.osVersion = info.operatingSystemVersionString
        machine.arch = arch
        machine.cores = info.activeProcessorCount
        machine.memoryBytes = Int(clamping: info.physicalMemory)
        return machine
    }
}
