// swift-tools-version: 6.0
// Fuzz harnesses for Descent's file readers, in a package of their own so that the main
// package's `swift build` and `swift test` never need libFuzzer. Build and run with
// Scripts/fuzz.sh.
import PackageDescription

let package = Package(
    name: "DescentFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(path: "..")],
    targets: [
        .executableTarget(
            name: "FuzzReaders",
            dependencies: [.product(name: "DescentData", package: "main"), .product(name: "Descent", package: "main")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
