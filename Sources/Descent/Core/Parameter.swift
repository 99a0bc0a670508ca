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

extension Tensor {
    /// Converts this tensor to `dtype` in place (its `.grad` too), keeping its identity, as
    /// `module.to(dtype)` converts each parameter's `.data`. Not for views.
    package func _convertInPlace(to dtype: DType) {
        if self.dtype == dtype { return }
        let converted = noGrad { self.to(dtype).contiguous() }
        _replaceStorage(with: converted.base == nil ? converted : noGrad { converted.clone() })
        if let g = _grad { _grad = g.to(dtype) }
    }
}
