// swift-tools-version: 6.0
// Fuzz harnesses for Descent's file readers, in a package of their own so that the main
// package's `swift build` and `swift test` never need libFuzzer. Build and run with
// Scripts/fuzz.sh.
import Foundation
import PackageDescription

/// SwiftPM names a path dependency after its folder, which is wherever the repository was
/// cloned; read that name instead of assuming it.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent

let package = Package(
    name: "DescentFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(path: "..")],
    targets: [
        .executableTarget(
            name: "FuzzReaders",
            dependencies: [.product(name: "DescentData", package: root), .product(name: "Descent", package: root)]
        ),
    ],
    swiftLanguageModes: [.v6]
)
