// ATen's channels-last memory format as far as Descent follows it: which 4-D tensors PyTorch
// treats as channels-last, and results laid out that way.

extension Tensor {
    /// Whether PyTorch's `suggest_memory_format()` says channels-last for this tensor: a 4-D
    /// tensor whose strides order its dimensions C, W, H, N from fastest to slowest (a
    /// permuted `[N, H, W, C]` block, or a 3-D `[N, C, L]` transposed in C and L once a
    /// pooling op views it as `[N, C, 1, L]`). A port of `is_channels_last_strides_2d_s4`,
    /// ambiguous cases (a trivial C) included.
    var _suggestsChannelsLast: Bool {
        guard rank == 4, strides[1] != 0 else { return false }
        var least = 0
        for d in [1, 3, 2, 0] {
            if shape[d] == 0 || strides[d] < least { return false }
            // N111, or N11W sliced along W: contiguous by default.
            if d == 0 && least == strides[1] { return false }
            least = strides[d]
            if shape[d] > 1 { least *= shape[d] }
        }
        return true
    }

    /// This (fresh, unrecorded) 4-D result copied into channels-last memory (strides
    /// `[H·W·C, 1, W·C, C]`), as ATen's kernels allocate results for a channels-last input.
    func _channelsLastCopy() -> Tensor {
        let (c, h, w) = (shape[1], shape[2], shape[3])
        let out = Tensor(freshShape: shape, denseStrides: [h * w * c, 1, w * c, c], dtype: dtype)
        CopyKernel.copy(self, into: out)
        return out
    }
}
