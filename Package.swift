// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "Descent",
    // Mutex (Synchronization) needs macOS 15; Linux has it with any Swift 6 toolchain.
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Descent", targets: ["Descent"]),
        .library(name: "DescentNN", targets: ["DescentNN"]),
        .library(name: "DescentData", targets: ["DescentData"]),
        .library(name: "DescentMPI", targets: ["DescentMPI"]),
        .executable(name: "descent", targets: ["DescentCLI"]),
        .executable(name: "descent-bench", targets: ["DescentBench"]),
        .executable(name: "mnist", targets: ["MNISTExample"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-numerics", from: "1.0.0"),
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.4.0"),
    ],
    targets: [
        .target(
            name: "Descent",
            dependencies: ["CDescentKernels", .product(name: "RealModule", package: "swift-numerics")]
        ),
        .target(
            name: "DescentNN",
            dependencies: ["Descent", "DescentData", .product(name: "RealModule", package: "swift-numerics")]
        ),
        .target(name: "DescentData", dependencies: ["Descent"]),
        // Matrix-product kernels in C: per-function AVX2/FMA code chosen at run time.
        .target(name: "CDescentKernels"),
        // Data-parallel training over MPI. Open MPI is loaded at run time by the C shim, so
        // nothing needs MPI to build, and only `MPIProcessGroup()` needs it to run.
        .target(name: "CDescentMPI"),
        .target(name: "DescentMPI", dependencies: ["Descent", "DescentNN", "CDescentMPI"]),
        .executableTarget(
            name: "DescentCLI",
            dependencies: [
                "Descent", "DescentNN", "DescentData", "DescentMPI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "DescentBench",
            dependencies: ["Descent", "DescentNN", "DescentMPI", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        // The README's vision example: LeNet-5 on MNIST-format files (Data/digits by default).
        .executableTarget(
            name: "MNISTExample",
            dependencies: ["Descent", "DescentNN", "DescentData", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .testTarget(
            name: "DescentTests",
            dependencies: ["Descent", "DescentNN", "DescentData", "DescentMPI", "DescentCLI", "MNISTExample"],
            resources: [.copy("Fixtures")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
