// swift-tools-version: 6.0
// Fuzz harnesses for Descent's file readers, one executable per reader, in a package of their
// own so that the main package's `swift build` and `swift test` never need libFuzzer. Build and
// run with Scripts/fuzz.sh; each harness starts from its folder under Fuzz/corpus.
import Foundation
import PackageDescription

/// SwiftPM names a path dependency after its folder, which is wherever the repository was
/// cloned; read that name instead of assuming it.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent

let harnesses: [(name: String, product: String)] = [
    ("FuzzCSV", "DescentNN"), ("FuzzNpy", "DescentData"), ("FuzzNpz", "DescentData"),
    ("FuzzSafetensors", "DescentData"), ("FuzzModel", "DescentNN"), ("FuzzIDX", "DescentData"), ("FuzzCIFAR", "DescentData"),
]

let package = Package(
    name: "DescentFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(path: "..")],
    targets: [.target(name: "FuzzDriver")] + harnesses.map { harness in
        .executableTarget(
            name: harness.name,
            dependencies: [
                "FuzzDriver", .product(name: harness.product, package: root), .product(name: "Descent", package: root),
            ]
        )
    },
    swiftLanguageModes: [.v6]
)
