import Foundation
import Testing
import Descent

/// Programmer errors stop the process with PyTorch's message (fixtures from PyTorch itself).
struct ErrorTests {
    struct File: Decodable { let messages: [String: String] }
    static let messages: [String: String] = (try? Fixtures.load("errors", as: File.self).messages) ?? [:]

    /// Triggers the error the fixture script triggered in PyTorch under the same name.
    static func trigger(_ name: String) {
        let x = Tensor.ones(3, requiresGrad: true)
        switch name {
        case "mm_shapes": _ = Tensor.ones(5, 3).matmul(Tensor.ones(2, 3))
        case "fill_tensor_expanded": Tensor.zeros(3).expand([2, 3]).fill(Tensor(2.0))
        case "linear_shapes": _ = Tensor.linear(Tensor.ones(10, 4), weight: Tensor.ones(3, 5), bias: Tensor.ones(3))
        case "linear_shapes_no_bias": _ = Tensor.linear(Tensor.ones(10, 4), weight: Tensor.ones(3, 5), bias: nil)
        case "linear_3d_shapes": _ = Tensor.linear(Tensor.ones(2, 5, 4), weight: Tensor.ones(3, 5), bias: Tensor.ones(3))
        case "linear_weight_3d": _ = Tensor.linear(Tensor.ones(10, 4), weight: Tensor.ones(3, 4, 1), bias: Tensor.ones(3))
        case "addmm_shapes": _ = Tensor.addmm(Tensor.ones(3), Tensor.ones(10, 4), Tensor.ones(5, 3))
        case "matmul_3d_2d": _ = Tensor.ones(4, 5, 3).matmul(Tensor.ones(2, 3))
        case "matmul_1d_2d": _ = Tensor.ones(2).matmul(Tensor.ones(5, 3))
        case "dot_sizes": _ = Tensor.ones(3).matmul(Tensor.ones(2))
        case "mv_sizes": _ = Tensor.ones(5, 3).matmul(Tensor.ones(2))
        case "bmm_sizes": _ = Tensor.ones(4, 5, 3).matmul(Tensor.ones(4, 2, 3))
        case "mm_not_matrix": _ = Tensor.ones(3).mm(Tensor.ones(3, 2))
        case "mm_mat2_not_matrix": _ = Tensor.ones(2, 3).mm(Tensor.ones(3))
        case "broadcast": _ = Tensor.ones(3) + Tensor.ones(2)
        case "broadcast_dim1": _ = Tensor.ones(4, 3) * Tensor.ones(4)
        case "matmul_batch_broadcast": _ = Tensor.ones(4, 5, 3).matmul(Tensor.ones(3, 3, 2))
        case "inplace_broadcast": Tensor.ones(3) += Tensor.ones(2, 3)
        case "expand": _ = Tensor.ones(2, 2).expand(2, 3)
        case "view_size": _ = Tensor.ones(2, 3).view(4)
        case "view_stride": _ = Tensor.ones(2, 3).t().view(6)
        case "reshape_two_inferred": _ = Tensor.ones(2, 3).reshape(-1, -1)
        case "dim_out_of_range": _ = Tensor.ones(2, 3).sum(dim: 2)
        case "index_out_of_range": _ = Tensor.ones(2, 3)[2]
        case "too_many_indices": _ = Tensor.ones(2, 3)[0, 0, 0]
        case "cat_sizes": _ = Tensor.cat([Tensor.ones(2, 3), Tensor.ones(2, 2)])
        case "stack_sizes": _ = Tensor.stack([Tensor.ones(2, 3), Tensor.ones(2, 2)])
        case "permute_duplicate": _ = Tensor.ones(2, 3).permute(0, 0)
        case "t_3d": _ = Tensor.ones(2, 3, 4).t()
        case "item_many": _ = Tensor.ones(2, 3).item()
        case "ragged": _ = Tensor([[1.0, 2.0], [3.0]])
        case "leaf_inplace": x += 1
        case "leaf_view_inplace": x[0] += 1
        case "implicit_grad": (x * 2).backward()
        case "no_grad_fn": Tensor.ones(3).sum().backward()
        case "grad_shape": (x * 2).backward(gradient: Tensor.ones(2))
        case "backward_twice":
            let y = (x * x).sum()
            y.backward()
            y.backward()
        case "inplace_saved":
            let y = x.exp()
            y += 1
            y.sum().backward()
        case "requires_grad_nonleaf": (x * 2).requiresGrad = false
        case "requires_grad_int": Tensor.ones(2, dtype: .int64).requiresGrad = true
        case "requires_grad_int_factory": _ = Tensor.ones(2, dtype: .int64, requiresGrad: true)
        case "max_empty": _ = Tensor.zeros(0).max()
        case "inplace_int_float": Tensor.arange(3) += 2.5
        case "cholesky_not_pd": _ = Tensor([[1, 2], [2, 1]]).cholesky()
        case "solve_singular": _ = Tensor.solve(Tensor([[1, 2], [2, 4]]), Tensor.ones(2))
        case "conv_channels": _ = Tensor.conv2d(Tensor.ones(2, 3, 8, 8), Tensor.ones(6, 1, 5, 5))
        case "conv_kernel_too_large": _ = Tensor.conv2d(Tensor.ones(2, 1, 4, 4), Tensor.ones(6, 1, 5, 5))
        case "conv_stride_zero": _ = Tensor.conv2d(Tensor.ones(2, 3, 8, 8), Tensor.ones(6, 3, 3, 3), stride: 0)
        case "conv_groups": _ = Tensor.conv2d(Tensor.ones(2, 3, 8, 8), Tensor.ones(5, 1, 3, 3), groups: 3)
        case "conv_bias": _ = Tensor.conv2d(Tensor.ones(2, 3, 8, 8), Tensor.ones(6, 3, 3, 3), bias: Tensor.ones(5))
        case "conv_same_strided": _ = Tensor.conv2d(Tensor.ones(2, 3, 8, 8), Tensor.ones(6, 3, 3, 3), stride: 2, padding: .same)
        case "conv_input_rank": _ = Tensor.conv2d(Tensor.ones(1, 2, 3, 8, 8), Tensor.ones(6, 3, 3, 3))
        case "conv_transpose_channels": _ = Tensor.convTranspose2d(Tensor.ones(2, 3, 8, 8), Tensor.ones(4, 2, 3, 3))
        case "conv_transpose_output_padding": _ = Tensor.convTranspose2d(Tensor.ones(2, 3, 8, 8), Tensor.ones(3, 2, 3, 3), outputPadding: 1)
        case "pool_stride_zero": _ = Tensor.maxPool2d(Tensor.ones(2, 3, 8, 8), kernelSize: 2, stride: 0)
        case "pool_padding": _ = Tensor.maxPool2d(Tensor.ones(2, 3, 8, 8), kernelSize: 3, padding: 2)
        case "pool_too_small": _ = Tensor.maxPool2d(Tensor.ones(1, 1, 2, 2), kernelSize: 3)
        case "batch_norm_running": _ = Tensor.batchNorm(Tensor.ones(2, 3, 4, 4), runningMean: Tensor.zeros(2), runningVar: Tensor.ones(2))
        case "batch_norm_one_value": _ = Tensor.batchNorm(Tensor.ones(1, 3), runningMean: nil, runningVar: nil, training: true)
        case "group_norm_groups": _ = Tensor.groupNorm(Tensor.ones(2, 3, 4, 4), numGroups: 2)
        case "pixel_shuffle_channels": _ = Tensor.pixelShuffle(Tensor.ones(2, 3, 4, 4), upscaleFactor: 2)
        case "interpolate_both": _ = Tensor.interpolate(Tensor.ones(1, 1, 4, 4), size: 3, scaleFactor: 2)
        case "interpolate_align_nearest": _ = Tensor.interpolate(Tensor.ones(1, 1, 4, 4), size: 3, alignCorners: true)
        case "grid_sample_last_dim": _ = Tensor.gridSample(Tensor.ones(1, 1, 4, 4), grid: Tensor.ones(1, 3, 3, 3))
        case "embedding_float_ids": _ = Tensor.embedding(Tensor.ones(2, 3), weight: Tensor.ones(10, 4))
        case "embedding_out_of_range": _ = Tensor.embedding(Tensor(shape: [2], scalars: [Int64(1), 10]), weight: Tensor.ones(10, 4))
        case "layer_norm_shape": _ = Tensor.layerNorm(Tensor.ones(2, 3, 5), normalizedShape: [4])
        case "sdpa_mask_and_causal":
            _ = Tensor.scaledDotProductAttention(Tensor.ones(1, 1, 3, 4), Tensor.ones(1, 1, 3, 4), Tensor.ones(1, 1, 3, 4),
                                                 attnMask: Tensor.ones([3, 3], dtype: .bool), isCausal: true)
        case "one_hot_negative": _ = Tensor.oneHot(Tensor(shape: [2], scalars: [Int64(1), -1]))
        case "one_hot_too_large": _ = Tensor.oneHot(Tensor(shape: [2], scalars: [Int64(1), 5]), numClasses: 4)
        case "nll_target_shape": _ = Tensor.ones(2, 4, 3).nllLoss(Tensor.zeros([2, 4], dtype: .int64))
        case "label_smoothing_range": _ = Tensor.crossEntropy(Tensor.ones(2, 4), Tensor.zeros([2], dtype: .int64), labelSmoothing: 1.5)
        case "setitem_partial_overlap":
            let t = Tensor([[1.0], [2.0]])
            t.narrow(0, 1, 1)[(-1)..<1] = t[-1, .newAxis, 0]
        case "copyslices_backward_twice":
            let a = Tensor([0.5], requiresGrad: true)
            let t = a - a
            t[.slice(nil, nil, step: 2)] = a
            t.backward()
            t.backward(retainGraph: true)
        case "sub_bool_into_leaf_view":
            let view = Tensor.ones([2, 3], requiresGrad: true).t()
            view -= Tensor.zeros([3, 2], dtype: .bool)
        default: break
        }
    }

    @Test func everyPyTorchMessageIsCovered() {
        #expect(Self.messages.count >= 39)
    }

    @Test(arguments: messages.keys.sorted())
    func stopsWithPyTorchsMessage(_ name: String) async throws {
        let expected = try #require(Self.messages[name])
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) { [name] in
            ErrorTests.trigger(name)
        }
        let stderr = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(stderr.contains(expected), "\(name): stderr was \(stderr)")
    }
}
