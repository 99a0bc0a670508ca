/// A tensor that is a module's parameter, like `torch.nn.Parameter`: a leaf that requires grad
/// by default, which modules find among their stored properties by themselves.
///
/// It shares memory with the tensor it is made from (as `nn.Parameter(t)` does) and prints as
/// PyTorch prints a parameter:
/// ```swift
/// let a = Parameter(Tensor.zeros(2))
/// print(a)
/// // Parameter containing:
/// // tensor([0., 0.], requires_grad=True)
/// ```
/// Results of operations on a parameter are plain tensors.
public final class Parameter: Tensor, @unchecked Sendable {
    /// A parameter over `data`'s memory, cut from any graph `data` belongs to.
    public convenience init(_ data: Tensor, requiresGrad: Bool = true) {
        self.init(over: data, shape: data.shape, strides: data.strides, offset: data.storageOffset, base: nil, contiguous: data.isContiguous)
        if requiresGrad { setRequiresGrad(true, factory: false) }
    }
}
