import Testing
@testable import Descent

/// Every op-table case bit for bit against PyTorch's reference build (the fixtures come from
/// `ATEN_CPU_CAPABILITY=default` on one thread), forward and gradients, except the cases listed
/// with the reason their last bits differ. `OpTests` compares every case to 1e-5; this test
/// keeps the ones that are exact exact, so a change of order of operations shows.
struct OpBitsTests {
    /// The cases whose values differ from PyTorch's in the last bits, and why.
    static let notBitExact: [String: String] = {
        var reasons: [String: String] = [:]
        func add(_ names: String, _ why: String) { for n in names.split(separator: " ") { reasons[String(n)] = why } }
        add("log sqrt pow_half tan asin atan log2 log10 erfc erfinv sin_transposed sin_expanded cos_expanded tan_expanded asin_float64 acos_float64 atan_float64 log10_expanded log10_float64 erfc_float64 erfinv_float64 tanh_float64 softmax logsumexp logsumexp_dims",
            "MKL's vector math functions (README, Differences kept)")
        add("dot", "MKL's sdot")
        add("batch_norm_train_1d", "ATen's batch norm over one value per sample and channel (its channels-last kernel) not ported")
        add("addbmm", "one gemm per batch accumulating into the result (beta = 1), which Descent's product kernel has no mode for")
        add("gelu", "the AVX2 vector formula Descent runs on contiguous values (README, Differences kept)")
        add("inverse inverse_batched det slogdet matrix_power matrix_power_negative matrix_exp qr_q qr_r qr_square eigh_values eigh_projector svd_values svd_values_wide svd_reconstruct pinverse",
            "LAPACK's factorisations (Descent's own, in float64)")
        add("conv1d conv1d_same conv1d_valid_dilated conv2d conv2d_stride_dilation conv2d_groups conv2d_depthwise conv2d_pointwise conv2d_same conv2d_unbatched conv3d conv_transpose1d conv_transpose2d conv_transpose2d_groups_dilation",
            "oneDNN's convolutions (README, Differences kept)")
        add("sdpa sdpa_causal sdpa_bool_mask sdpa_float_mask_scale sdpa_gqa sdpa_math_gqa sdpa_transposed sdpa_long_blocks",
            "attention: ATen's flash kernel's blocking and its math path's products not ported")
        add("mish mish_expanded celu cumprod_zero matrix_norm pad_reflect_2d pad_replicate_2d tensordot group_norm group_norm_plain instance_norm instance_norm_affine local_response_norm local_response_norm_3d interpolate_bilinear interpolate_bilinear_down interpolate_bilinear_align interpolate_bicubic interpolate_bicubic_align grid_sample grid_sample_border_align grid_sample_reflection grid_sample_bicubic grid_sample_bicubic_reflection grid_sample_bicubic_border embedding_bag_mean embedding_bag_weighted cross_entropy_weight_smoothing",
            "ATen's kernel (its order of operations, forward or backward) not ported yet")
        return reasons
    }()

    static let exactCases = OpTests.cases.map(\.name).filter { notBitExact[$0] == nil }

    /// Elements of `t` that differ from the fixture (float32 compared as float32).
    static func differing(_ t: Tensor, _ expected: TensorFixture) -> Int {
        let a = t.scalars(as: Double.self), b = expected.doubles
        guard a.count == b.count else { return max(a.count, b.count) }
        return zip(a, b).filter { x, y in
            !(x == y && x.sign == y.sign) && !(x.isNaN && y.isNaN) && !(t.dtype == .float32 && Float(x).bitPattern == Float(y).bitPattern)
        }.count
    }

    @Test(arguments: exactCases)
    func bitForBitWithPyTorchsReferenceBuild(_ name: String) throws {
        let c = try #require(OpTests.cases.first { $0.name == name })
        let op = try #require(OpTable.ops[name])
        try withThreads(1) {
            try CPUCapability.$override.withValue(.default) {
                let inputs = zip(c.inputs, c.requires_grad).map { $0.tensor(requiresGrad: $1) }
                let out = op(inputs)
                #expect(Self.differing(out, c.output) == 0, "forward of \(name)")
                out.backward(gradient: c.upstream.tensor())
                for (i, expected) in c.grads.enumerated() {
                    guard let expected else { continue }
                    let g = try #require(inputs[i].grad, "no gradient for input \(i) of \(name)")
                    #expect(Self.differing(g, expected) == 0, "gradient \(i) of \(name)")
                }
            }
        }
    }

    /// Batch norm's statistics run four channels at a time: each channel must come out as it
    /// does alone (the fixture has three channels, which take the one-at-a-time loop).
    @Test func batchNormChannelsTogetherEqualChannelsAlone() {
        let x = Tensor.randn(3, 9, 7, generator: Generator(seed: 5)) * 3 + 1
        let weight = Tensor.randn(9, generator: Generator(seed: 6)), bias = Tensor.randn(9, generator: Generator(seed: 7))
        let together = Tensor.batchNorm(x, runningMean: nil, runningVar: nil, weight: weight, bias: bias, training: true)
        for c in 0..<9 {
            let alone = Tensor.batchNorm(x[.all, .slice(c, c + 1)], runningMean: nil, runningVar: nil, weight: weight[.slice(c, c + 1)],
                                         bias: bias[.slice(c, c + 1)], training: true)
            #expect(together[.all, .slice(c, c + 1)].scalars(as: Float.self) == alone.scalars(as: Float.self), "channel \(c)")
        }
    }

    @Test func everyListedCaseExists() {
        let names = Set(OpTests.cases.map(\.name))
        for name in Self.notBitExact.keys { #expect(names.contains(name), "\(name) is not an op-table case") }
    }
}
