import Foundation

/// A benchmark run in the `edgerep.bench/2` format that `edgerep bench ingest` reads: the machine,
/// the protocol, runtime versions and the records (edgerep/bench/report.schema.json).
public struct BenchReport: Equatable, Sendable {
    public static let schemaID = "edgerep.bench/2"

    public var schema: String
    /// ISO 8601 UTC time the run finished (`UTCTimestamp`).
    public var created: String
    public var tool: ToolInfo
    public var machine: MachineInfo
    public var benchProtocol: BenchProtocol
    /// Versions of the runtimes used, e.g. `["coreml": "iOS 18.1"]`.
    public var runtimes: [String: String]
    public var records: [BenchRecord]
    public var extra: [String: JSONValue]?

    public init(
        created: String, tool: ToolInfo, machine: MachineInfo, benchProtocol: BenchProtocol,
        runtimes: [String: String] = [:], records: [BenchRecord] = [], extra: [String: JSONValue]? = nil
    ) {
        self.schema = Self.schemaID
        self.created = created
        self.tool = tool
        self.machine = machine
        self.benchProtocol = benchProtocol
        self.runtimes = runtimes
        self.records = records
        self.extra = extra
    }
}

extension BenchReport: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case schema, created, tool, machine
        case benchProtocol = "protocol"
        case runtimes, records, extra
    }
}

/// The program that wrote a report.
public struct ToolInfo: Codable, Equatable, Sendable {
    public var name: String
    public var version: String

    public init(name: String, version: String) {
        self.name = name
        self.version = version
    }

    /// This package's version (edgerep's release it belongs to).
    public static let harnessVersion = "0.1.0"
    /// The iPhone app and the XCTest that runs it on device farms.
    public static let ios = ToolInfo(name: "edgerep-ios", version: harnessVersion)
    /// The macOS command line (`swift run edgerep-bench`).
    public static let macOS = ToolInfo(name: "edgerep-macos", version: harnessVersion)
}

/// The machine block of a report.
public struct MachineInfo: Equatable, Sendable {
    public enum Kind: String, Codable, Sendable {
        /// A computer running edgerep (or the macOS command line).
        case host
        /// A phone or board running a harness.
        case device
    }

    public var kind: Kind
    /// The label tables and plots show, e.g. "iPhone 15 Pro".
    public var name: String
    /// iOS, macOS, Linux, ...
    public var os: String
    public var osVersion: String?
    /// CPU or SoC name, e.g. "Apple M2".
    public var cpu: String?
    public var arch: String?
    public var cores: Int?
    public var memoryBytes: Int?
    public var manufacturer: String?
    /// Device model identifier, e.g. "iPhone16,1".
    public var model: String?
    public var extra: [String: JSONValue]?

    public init(kind: Kind, name: String, os: String) {
        self.kind = kind
        self.name = name
        self.os = os
    }
}

extension MachineInfo: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case kind, name, os
        case osVersion = "os_version"
        case cpu, arch, cores
        case memoryBytes = "memory_bytes"
        case manufacturer, model, extra
    }
}
