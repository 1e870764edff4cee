// swift-tools-version: 6.0
//
// The iPhone app. Open this folder (EdgeRepBench.swiftpm) in Xcode 16 or newer: no project file to
// generate. Apple platforms only: AppleProductTypes does not exist in Linux toolchains, which is why
// the app lives in its own folder, apart from ../Package.swift.
import AppleProductTypes
import PackageDescription

let package = Package(
    name: "EdgeRepBench",
    platforms: [.iOS("16.0")],
    products: [
        .iOSApplication(
            name: "EdgeRepBench",
            targets: ["AppModule"],
            bundleIdentifier: "org.edgerep.bench",
            teamIdentifier: "",
            displayVersion: "0.1.0",
            bundleVersion: "1",
            supportedDeviceFamilies: [.phone, .pad],
            supportedInterfaceOrientations: [
                .portrait,
                .landscapeLeft,
                .landscapeRight,
                .portraitUpsideDown(.when(deviceFamilies: [.pad])),
            ]
        )
    ],
    dependencies: [
        // The library in the folder above (package identity: its folder name, ios_harness).
        .package(path: "../")
    ],
    targets: [
        .executableTarget(
            name: "AppModule",
            dependencies: [
                .product(name: "EdgeRepBenchCore", package: "ios_harness"),
                .product(name: "EdgeRepBenchCoreML", package: "ios_harness"),
            ],
            path: "App",
            resources: [.copy("Models")]
        )
    ]
)
