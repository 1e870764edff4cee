// swift-tools-version: 6.0
//
// edgerep's Core ML latency harness. Evaluable on Linux: the Apple-only app lives in
// EdgeRepBench.swiftpm/ (its manifest imports AppleProductTypes, which Linux toolchains lack).
//
// EdgeRepBenchCore      Foundation only: protocol loop, statistics, the edgerep.bench/1 report,
//                       artifact metadata, options. Builds and tests on Linux.
// EdgeRepBenchCoreML    Core ML measurement, behind #if canImport(CoreML) (empty elsewhere).
// edgerep-bench         the macOS command line (on Linux it says Core ML is unavailable).
import PackageDescription

let package = Package(
    name: "EdgeRepBench",
    platforms: [.iOS(.v16), .macOS(.v13)],
    products: [
        .library(name: "EdgeRepBenchCore", targets: ["EdgeRepBenchCore"]),
        .library(name: "EdgeRepBenchCoreML", targets: ["EdgeRepBenchCoreML"]),
        .executable(name: "edgerep-bench", targets: ["edgerep-bench"]),
    ],
    targets: [
        .target(name: "EdgeRepBenchCore"),
        .target(name: "EdgeRepBenchCoreML", dependencies: ["EdgeRepBenchCore"]),
        .executableTarget(
            name: "edgerep-bench",
            dependencies: ["EdgeRepBenchCore", "EdgeRepBenchCoreML"],
            path: "Sources/EdgeRepBenchCLI"
        ),
        .testTarget(
            name: "EdgeRepBenchCoreTests",
            dependencies: ["EdgeRepBenchCore"],
            resources: [.copy("Resources")]
        ),
        // Runs a suite headless on a Mac or an iPhone (device farms); models come from Models/.
        .testTarget(
            name: "EdgeRepBenchDeviceTests",
            dependencies: ["EdgeRepBenchCore", "EdgeRepBenchCoreML"],
            resources: [.copy("Models")]
        ),
    ]
)
