import Foundation
import Testing
@testable import Descent

/// PyTorch's autograd behaviour (semantics spec §2).
struct AutogradTests {
    @Test func gradientsAccumulateIntoTheSameTensor() {
        let x = Tensor([1, 2, 3], requiresGrad: true)
        (x * 3).sum().backward()
        let first = x.grad!
        (x * 3).sum().backward()
        #expect(x.grad! === first)
        #expect(x.grad!.scalars(as: Float.self) == [6, 6, 6])
    }

    /// Graphs larger than the engine's in-place work list (64 nodes), deep and wide, where the
    /// list moves to the heap; and a backward pass whose temporaries are the last owners of
    /// their nodes.
    @Test func graphsDeeperAndWiderThanTheWorkList() {
        let x = Tensor([1, 2], dtype: .float64, requiresGrad: true)
        var deep = x
        for _ in 0..<300 { deep = deep * 1.001 }
        deep.sum().backward()
        let chain = (0..<300).reduce(1.0) { r, _ in r * 1.001 }
        for g in x.grad!.scalars(as: Double.self) { #expect(abs(g - chain) < 1e-12) }

        let w = Tensor([3], dtype: .float64, requiresGrad: true)
        var branches: [Tensor] = []
        for k in 0..<200 { branches.append(w * Double(k)) }
        Tensor.stack(branches).sum().backward()
        let total = Double((0..<200).reduce(0, +))
        #expect(w.grad!.scalars(as: Double.self) == [total])

        let v = Tensor([0.5], requiresGrad: true)
        func loss() -> Tensor { (0..<100).reduce(v) { acc, _ in acc + v * v }.sum() }
        loss().backward()
        let expected: Float = 1 + 100 * 2 * 0.5
        #expect(v.grad!.scalars(as: Float.self) == [expected])
    }

    /// A leaf keeps one `AccumulateGrad` node for life; a graph keeps its leaves alive even
    /// when nothing else refers to them any more.
    @Test func leavesKeepOneAccumulatorAndGraphsKeepTheirLeaves() {
        let w = Tensor([1, 2], requiresGrad: true)
        let first = (w * 2).sum()
        let second = (w * 3).sum()
        let a = first.gradFn!.nextFunctions[0]!.nextFunctions[0]!
        let b = second.gradFn!.nextFunctions[0]!.nextFunctions[0]!
        #expect(a.name == "AccumulateGrad")
        #expect(a === b)

        var loss: Tensor? = nil
        do {
            let temporary = Tensor([1, 2, 3], requiresGrad: true)
            loss = (temporary * temporary).sum()
        }
        loss!.backward()   // accumulates into the temporary, which only the graph still holds
        #expect(loss!.item() == 14)

        let late = Tensor([4.0])
        late.requiresGrad = true
        (late * late).sum().backward()
        #expect(late.grad!.scalars(as: Float.self) == [8])
        late.requiresGrad = false
        late.requiresGrad = true
        (late * 1).sum().backward()
        #expect(late.grad!.scalars(as: Float.self) == [9])
    }

    @Test func reductionsKeepTheirInputsShapeNotTheInput() {
        // PyTorch's SumBackward1 and MeanBackward1 save the input's sizes only; an intermediate
        // that nothing else holds must not live on with the graph.
        let w = Tensor([[1, 2, 3], [4, 5, 6]], requiresGrad: true)
        for reduce in [{ (t: Tensor) in t.sum(dim: 1) }, { $0.mean(dim: 0) }, { $0.sum() }] {
            weak var middle: Tensor?
            let loss: Tensor
            do {
                let m = w * 2   // MulBackward0 by a number saves nothing
                middle = m
                loss = reduce(m).sum()
            }
            #expect(middle == nil)
            w.grad = nil
            loss.backward()
            #expect(w.grad!.scalarCount == 6)
        }
        w.grad = nil
        (w * 2).sum(dim: 1).sum().backward()
        #expect(w.grad!.scalars(as: Float.self) == [2, 2, 2, 2, 2, 2])
        w.grad = nil
        (w * 2).mean(dim: 0).sum().backward()
        #expect(w.grad!.scalars(as: Float.self) == [1, 1, 1, 1, 1, 1])
    }

    @Test func theImplicitGradientOfAScalarIsNeverHandedOut() {
        // backward() of a rank-0 output starts from one shared 1; whatever receives it gets a copy.
        for dtype in [DType.float32, .float64] {
            let x = Tensor.full([], 3, dtype: dtype, requiresGrad: true)
            x.backward()   // the root is the leaf itself
            noGrad { x.grad! *= 5 }
            let loss = (x * x).sum()
            loss.retainGrad()
            loss.backward()
            noGrad { loss.grad! += 10 }
            let y = Tensor.full([], 2, dtype: dtype, requiresGrad: true)
            y.backward()
            #expect(y.grad!.item() == 1)
            let z = Tensor.full([], 2, dtype: dtype, requiresGrad: true)
            let l = z * z
            l.retainGrad()
            l.backward()
            #expect(l.grad!.item() == 1)
            #expect(z.grad!.item() == 4)
            #expect(x.grad!.item() == 11)   // 1 * 5, then + 2x
        }
    }

    @Test func graphsThatSaveNothingRunTwice() {
        let x = Tensor([1, 2], requiresGrad: true)
        let y = (x + x).sum()
        y.backward()
        y.backward()
        #expect(x.grad!.scalars(as: Float.self) == [4, 4])
    }

    @Test func retainGraphKeepsSavedTensors() {
        let x = Tensor([1, 2], requiresGrad: true)
        let y = (x * x).sum()
        y.backward(retainGraph: true)
        y.backward()
        #expect(x.grad!.scalars(as: Float.self) == [4, 8])
    }

    @Test func broadcastGradientsAreSummedToShape() {
        let x = Tensor.ones(2, 3, requiresGrad: true)
        let b = Tensor.zeros(3, requiresGrad: true)
        let c = Tensor.zeros(1, 3, requiresGrad: true)
        let d = Tensor(0.0, requiresGrad: true)
        (x + b + c + d).sum().backward()
        #expect(b.grad!.scalars(as: Float.self) == [2, 2, 2])
        #expect(c.grad!.shape == [1, 3])
        #expect(c.grad!.scalars(as: Float.self) == [2, 2, 2])
        #expect(d.grad!.description == "tensor(6.)")
    }

    @Test func leavesAndNonLeaves() {
        exclusiveGlobalGenerator {
            let w = Tensor.randn(2, requiresGrad: true)
            let y = w * 2
            #expect(w.isLeaf && !y.isLeaf && y.requiresGrad)
            #expect(Tensor.ones(2).isLeaf)
            y.sum().backward()
            #expect(y.grad == nil)
            #expect(w.grad != nil)
        }
    }

    @Test func retainGradKeepsANonLeafGradient() {
        let x = Tensor([1, 2, 3], requiresGrad: true)
        let h = x * 2
        h.retainGrad()
        (h * h).sum().backward()
        #expect(h.grad!.scalars(as: Float.self) == [4, 8, 12])
        #expect(x.grad!.scalars(as: Float.self) == [8, 16, 24])
    }

    @Test func noGradStopsRecordingAndNests() {
        let w = Tensor.ones(2, requiresGrad: true)
        noGrad {
            #expect(!(w * 2).requiresGrad)
            noGrad { #expect(!GradMode.isEnabled) }
            #expect(!GradMode.isEnabled)
            enableGrad { #expect((w * 2).requiresGrad) }
            // Factories still make requiring leaves.
            #expect(Tensor.zeros(2, requiresGrad: true).requiresGrad)
        }
        #expect(GradMode.isEnabled)
        #expect((w * 2).requiresGrad)
    }

    @Test func noGradIsPerThread() {
        let seenByOtherThread = Locked<Bool?>(nil)
        noGrad {
            let thread = Thread { seenByOtherThread.withLock { $0 = GradMode.isEnabled } }
            thread.start()
            while seenByOtherThread.withLock({ $0 }) == nil { usleep(1000) }
        }
        #expect(seenByOtherThread.withLock { $0 } == true)
    }

    @Test func noGradIsPerTask() async {
        async let inside: Bool = noGrad {
            try? await Task.sleep(nanoseconds: 20_000_000)
            return GradMode.isEnabled
        }
        async let outside: Bool = {
            try? await Task.sleep(nanoseconds: 10_000_000)
            return GradMode.isEnabled
        }()
        let (a, b) = await (inside, outside)
        #expect(a == false)
        #expect(b == true)
    }

    @Test func detachSharesStorageAndVersion() {
        let x = Tensor([1, 2], requiresGrad: true)
        let d = x.detach()
        #expect(!d.requiresGrad && d.isLeaf)
        d += 1
        #expect(x.scalars(as: Float.self) == [2, 3])
        #expect(x.version == 1)
    }

    /// A number fills an expanded view of a tensor in the graph, as in PyTorch 2.15 (difftest
    /// seed 3620, program 128); a tensor value may not (`fill_tensor_expanded` in ErrorTests).
    @Test func aNumberFillsAnExpandedViewInTheGraph() {
        let a = Tensor([1, 2, 3], requiresGrad: true)
        let std = a.std()
        let e = std.expand([2])
        e.fill(0)
        #expect(e.gradFn?.name == "AsStridedBackward0" && std.gradFn?.name == "CopySlices")
        #expect(e.scalars(as: Float.self) == [0, 0])
    }

    @Test func inPlaceOnNonLeafJoinsTheGraph() {
        let x = Tensor([1, 2], requiresGrad: true)
        let y = x * 2
        y += 1
        #expect(y.gradFn?.name == "AddBackward0")
        y *= Tensor(3)
        #expect(y.gradFn?.name == "MulBackward0")
        y.sum().backward()
        // y = 3 (2x + 1): PyTorch gives [6., 6.]. (`y *= y` fails as in PyTorch: the
        // multiplication saved the `y` that the assignment then overwrites.)
        #expect(x.grad!.scalars(as: Float.self) == [6, 6])
    }

    @Test func inPlaceUpdatesInsideNoGradBumpTheVersion() {
        let w = Tensor([1, 2], requiresGrad: true)
        noGrad {
            w -= Tensor([0.5, 0.5])
            w *= 2
        }
        #expect(w.version == 2)
        #expect(w.isLeaf && w.requiresGrad)
        #expect(w.scalars(as: Float.self) == [1, 3])
    }

    @Test func graphIsFreedAfterBackward() {
        weak var node: AutogradNode?
        let w = Tensor.ones(3, requiresGrad: true)
        do {
            let loss = (w * w).sum()
            node = loss.gradFn
            loss.backward()
            #expect(node != nil)
        }
        #expect(node == nil)
    }

    @Test func toCopyCarriesGradientBackToFloat32() {
        let x = Tensor([1, 2], requiresGrad: true)
        let y = x.to(.float64) * 3
        y.sum().backward()
        #expect(x.grad!.dtype == .float32)
        #expect(x.grad!.scalars(as: Float.self) == [3, 3])
    }

    @Test func gradcheckCatchesAWrongGradient() {
        let x = Tensor([0.5, -1.5], dtype: .float64, requiresGrad: true)
        // Detaching one factor hides half of the derivative of x * x from autograd.
        #expect(throws: GradcheckError.self) { try gradcheck({ $0[0] * $0[0].detach() }, inputs: [x]) }
        #expect(throws: GradcheckError.self) { try gradcheck({ $0[0].exp() }, inputs: [Tensor([1.0], requiresGrad: true)]) }
    }

    @Test func setRequiresGradOnLeavesOnly() {
        let t = Tensor.zeros(2)
        t.requiresGrad = true
        #expect(t.requiresGrad)
        let y = t * 2
        y.requiresGrad = true
        #expect(y.requiresGrad)
        t.requiresGrad(false)
        #expect(!t.requiresGrad)
    }
}
