import CDescentKernels
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Which of PyTorch's CPU kernel builds Descent reproduces where they round differently.
///
/// PyTorch compiles its CPU kernels several times and picks one build at run time from what
/// the processor offers (`torch.backends.cpu.get_cpu_capability()`). Some of them round
/// differently: on a CPU with AVX2 its `randn` takes a vectorised Box-Muller with its own
/// logarithm, sine and cosine, and `uniform_` fuses its multiply-add. Descent picks the same
/// build by the same rule, so that `manualSeed(0); Tensor.randn(100)` prints what PyTorch
/// prints on the same machine. `DESCENT_CPU_CAPABILITY` (or PyTorch's own
/// `ATEN_CPU_CAPABILITY`) set to `default`, `avx2` or `avx512` forces one, as
/// `ATEN_CPU_CAPABILITY=default` forces PyTorch's reference kernels (the ones it runs on arm64).
///
/// ```swift
/// print(CPUCapability.current)   // avx2 on most x86-64 machines
/// ```
public enum CPUCapability: String, Sendable {
    /// The reference kernels: no fused multiply-add, the scalar normal fill.
    case `default`
    /// x86-64 with AVX2 and FMA: the vectorised normal fill, fused multiply-adds.
    case avx2
    /// x86-64 with AVX-512 (VL, BW, DQ): the scalar normal fill, fused multiply-adds.
    case avx512

    /// The build PyTorch would run here, or the one the environment asks for.
    public static var current: CPUCapability { override ?? detected }

    /// A capability for the work of one task, over the detected one (tests pin the build
    /// their fixtures came from this way).
    @TaskLocal package static var override: CPUCapability?

    private static let detected: CPUCapability = {
        for name in ["DESCENT_CPU_CAPABILITY", "ATEN_CPU_CAPABILITY"] {
            if let raw = getenv(name), let value = CPUCapability(rawValue: String(cString: raw).lowercased()) {
                return value
            }
        }
        if descent_cpu_has_avx512_for_aten() != 0 { return .avx512 }
        if descent_cpu_has_avx2_fma() != 0 { return .avx2 }
        return .default
    }()

    /// Whether this build's compiler fused `a * b + c` into one rounding (PyTorch compiles its
    /// AVX2 and AVX-512 kernels with FMA and GCC's default contraction).
    var fusesMultiplyAdd: Bool { self != .default }
}
