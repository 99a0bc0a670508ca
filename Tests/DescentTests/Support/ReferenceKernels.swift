import Testing
@testable import Descent

/// Runs a test or suite with PyTorch's reference kernels (`CPUCapability.default`), the build
/// `Scripts/make_fixtures.py` takes its values from (`ATEN_CPU_CAPABILITY=default`), whatever
/// CPU runs the tests.
struct ReferenceKernels: TestTrait, SuiteTrait, TestScoping {
    var isRecursive: Bool { true }

    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        try await CPUCapability.$override.withValue(.default) {
            try await function()
        }
    }
}

extension Trait where Self == ReferenceKernels {
    /// PyTorch's reference kernels for the fixtures made with them.
    static var referenceKernels: ReferenceKernels { ReferenceKernels() }
}
