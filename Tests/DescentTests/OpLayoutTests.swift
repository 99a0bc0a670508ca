import Testing
@testable import Descent

/// Every op-table case again with its float inputs laid out differently in memory: transposed
/// strides, and a slice with a step out of a larger tensor. Values and gradients must equal
/// the contiguous run's (which the fixtures check against PyTorch), and gradcheck must pass on
/// the strided float64 inputs.
struct OpLayoutTests {
    enum Layout: String, CaseIterable { case transposed, sliced }

    /// The same values as `t` in another layout, as a leaf.
    static func relaid(_ t: Tensor, _ layout: Layout) -> Tensor {
        noGrad {
            switch layout {
            case .transposed:
                guard t.rank >= 2 else { return t.clone() }
                return t.transpose(-1, -2).contiguous().transpose(-1, -2)
            case .sliced:
                guard t.rank >= 1 else { return t.clone() }
                var wide = t.shape
                wide[wide.count - 1] *= 2
                let big = Tensor.zeros(wide, dtype: t.dtype)
                let view = big[.ellipsis, .slice(nil, nil, step: 2)]
                view.copy(from: t)
                return view
            }
        }
    }

    /// `view` needs a layout it can view (a strided input stops with PyTorch's error, as there).
    static let layoutBound: Set<String> = ["view"]

    static let arguments: [(String, Layout)] = OpTests.cases.filter { !layoutBound.contains($0.name) }.flatMap { c in
        Layout.allCases.map { (c.name, $0) }
    }

    /// Results whose layout Descent does not follow: PyTorch's convolutions pick a backend
    /// (oneDNN in channels-last when the input or the weight suggests it, its own loops for
    /// float64, a contiguous input for 1-D) and lay out the result as that backend does; their
    /// values already differ in the last bits (README, "Differences kept").
    static let layoutNotFollowed: Set<String> = ["conv1d", "conv1d_same", "conv1d_valid_dilated", "conv_transpose1d"]

    /// The order of the dimensions in memory, as the differential tester compares it: strides
    /// on dimensions of more than one element (PyTorch's others are arbitrary), of a tensor
    /// with elements.
    static func sameLayout(_ t: Tensor, _ strides: [Int]) -> Bool {
        guard t.rank == strides.count else { return false }
        return t.scalarCount == 0 || !zip(t.shape, zip(t.strides, strides)).contains { $0.0 > 1 && $0.1.0 != $0.1.1 }
    }

    @Test(arguments: arguments)
    func stridedInputsGiveTheSameResults(_ name: String, _ layout: Layout) throws {
        let c = try #require(OpTests.cases.first { $0.name == name })
        let op = try #require(OpTable.ops[name])
        let plain = zip(c.inputs, c.requires_grad).map { $0.tensor(requiresGrad: $1) }
        let strided = zip(plain, c.requires_grad).map { t, grad -> Tensor in
            t.dtype.isFloatingPoint ? Self.relaid(t.detach(), layout).requiresGrad(grad) : t
        }
        let a = op(plain), b = op(strided)
        #expect(a.shape == b.shape)
        let expected = try #require(c.layouts[layout.rawValue] ?? nil, "PyTorch refused \(name) \(layout)")
        if layout == .transposed, let plainLayout = c.layouts["contiguous"] ?? nil {
            #expect(Self.sameLayout(a, plainLayout.output), "strides of \(name): \(a.strides), PyTorch \(plainLayout.output)")
        }
        if !Self.layoutNotFollowed.contains(name) {
            #expect(Self.sameLayout(b, expected.output), "strides of \(name) \(layout): \(b.strides), PyTorch \(expected.output)")
        }
        #expect(close(b.scalars(as: Double.self), a.scalars(as: Double.self), rtol: 1e-5, atol: 1e-5), "\(name) \(layout)")
        let upstream = c.upstream.tensor()
        a.backward(gradient: upstream)
        b.backward(gradient: upstream)
        for (x, y) in zip(plain, strided) where x.requiresGrad {
            let gx = try #require(x.grad), gy = try #require(y.grad)
            #expect(close(gy.scalars(as: Double.self), gx.scalars(as: Double.self), rtol: 1e-4, atol: 1e-5), "gradient of \(name) \(layout)")
        }
        for (i, y) in strided.enumerated() where y.requiresGrad {
            guard let gy = y.grad, let want = expected.grads[i] else { continue }
            #expect(Self.sameLayout(gy, want), "strides of the gradient \(i) of \(name) \(layout): \(gy.strides), PyTorch \(want)")
        }
        if OpTests.notDifferentiableAtFixture.contains(name) || OpTests.gradientByDefinition.contains(name) { return }
        let inputs64 = zip(c.inputs, c.requires_grad).map { fixture, grad -> Tensor in
            let t = fixture.tensor()
            return grad ? Self.relaid(t.to(.float64), layout).requiresGrad(true) : t
        }
        #expect(try gradcheck(op, inputs: inputs64), "gradcheck of \(name) \(layout)")
    }
}
