import CDescentKernels

// Recurrent layers over a whole sequence as one primitive each (one direction of one layer):
// the input's contribution to every step is one matrix product, the recurrence runs step by
// step on raw buffers, and the backward pass goes back through time once, its weight gradients
// again single products over all steps. PyTorch's CPU LSTM records a graph of ops per step;
// this is where Descent's lead on small recurrent models comes from.

extension Tensor {
    /// One LSTM layer in one direction over a time-major sequence `x` `[T, B, I]`, from states
    /// `h0` `[B, P]` and `c0` `[B, H]`: the outputs `[T, B, P]` (in time order, also when
    /// `reverse` runs the recurrence from the last step) and the final `h` and `c`. Gates in
    /// PyTorch's order (input, forget, cell, output); `wHr` projects `h` to `P` features.
    package static func _lstmLayer(_ x: Tensor, h0: Tensor, c0: Tensor, wIh: Tensor, wHh: Tensor, bIh: Tensor?, bHh: Tensor?,
                                   wHr: Tensor?, reverse: Bool) -> (output: Tensor, h: Tensor, c: Tensor) {
        let plan = _LSTMPlan(x: x, h0: h0, wIh: wIh, reverse: reverse)
        // The passes record their own kernels in a compiled step (the recurrence as one closure).
        let (output, h, c, internals) = noGrad {
            plan.forward(x.contiguous(), h0.contiguous(), c0.contiguous(), wIh.contiguous(), wHh.contiguous(), bIh, bHh,
                         wHr?.contiguous())
        }
        var inputs = [x, h0, c0, wIh, wHh]
        let bIhIndex = bIh.map { _ in inputs.count }
        if let bIh { inputs.append(bIh) }
        let bHhIndex = bHh.map { _ in inputs.count }
        if let bHh { inputs.append(bHh) }
        let rIndex = wHr.map { _ in inputs.count }
        if let wHr { inputs.append(wHr) }
        let count = inputs.count
        // Saved: every input (biases too, for the recomputed composition), then the outputs.
        let outputs = Tensor._recordedOutputs("LstmBackward0", [output, h, c], inputs: inputs, saving: inputs) { k, g, node in
            let t = (0..<count).map { node.savedTensor($0) }
            if GradMode.isEnabled {
                // The backward pass is recorded: differentiate the step-by-step composition.
                return _recomputedGradients(t, g) { t in
                    let r = _lstmComposite(t[0], h0: t[1], c0: t[2], wIh: t[3], wHh: t[4], bIh: bIhIndex.map { t[$0] },
                                           bHh: bHhIndex.map { t[$0] }, wHr: rIndex.map { t[$0] }, reverse: reverse)
                    return [r.output, r.h, r.c][k]
                }
            }
            let needs = (node.needsInputGrad(0), node.needsInputGrad(1))
            // Rows of the outputs' gradient need only be contiguous (see `backward`).
            let rowsContiguous = k == 0 && (g.shape[2] <= 1 || g.strides[2] == 1)
            let grads = plan.backward(output: k, rowsContiguous ? g : g.contiguous(), x: t[0].contiguous(), h0: t[1], c0: t[2].contiguous(), wIh: t[3],
                                      wHh: t[4].contiguous(), wHr: rIndex.map { t[$0].contiguous() }, output: node.savedTensor(count),
                                      internals: internals, needs: needs)
            var out: [Tensor?] = [grads.x, grads.h0, grads.c0, grads.wIh, grads.wHh]
            if bIhIndex != nil { out.append(grads.bias) }
            if bHhIndex != nil { out.append(grads.bias) }
            if rIndex != nil { out.append(grads.wHr) }
            return out.enumerated().map { node.needsInputGrad($0.offset) ? $0.element : nil }
        }
        return (outputs[0], outputs[1], outputs[2])
    }

    /// The same layer from differentiable ops, step by step (`chunk`, `sigmoid`, `tanh`).
    package static func _lstmComposite(_ x: Tensor, h0: Tensor, c0: Tensor, wIh: Tensor, wHh: Tensor, bIh: Tensor?, bHh: Tensor?,
                                       wHr: Tensor?, reverse: Bool) -> (output: Tensor, h: Tensor, c: Tensor) {
        var pre = x.matmul(wIh.t())
        if let bIh { pre = pre + bIh }
        if let bHh { pre = pre + bHh }
        var h = h0, c = c0
        let steps = x.shape[0]
        var outputs = [Tensor?](repeating: nil, count: steps)
        for t in reverse ? Array((0..<steps).reversed()) : Array(0..<steps) {
            let gates = (pre.select(0, t) + h.matmul(wHh.t())).chunk(4, dim: 1)
            c = gates[1].sigmoid() * c + gates[0].sigmoid() * gates[2].tanh()
            h = gates[3].sigmoid() * c.tanh()
            if let wHr { h = h.matmul(wHr.t()) }
            outputs[t] = h
        }
        let output = steps == 0 ? Tensor.zeros([0, x.shape[1], h0.shape[1]], dtype: x.dtype) : Tensor.stack(outputs.map { $0! })
        return (output, h, c)
    }
}

/// Shapes of one LSTM layer-direction and its two passes over raw buffers.
struct _LSTMPlan: @unchecked Sendable {
    let steps: Int, batch: Int, inputSize: Int, hidden: Int, outSize: Int
    let reverse: Bool

    init(x: Tensor, h0: Tensor, wIh: Tensor, reverse: Bool) {
        steps = x.shape[0]
        batch = x.shape[1]
        inputSize = x.shape[2]
        hidden = wIh.shape[0] / 4
        outSize = h0.shape[1]
        self.reverse = reverse
    }

    /// The steps in the order the recurrence visits them.
    var order: [Int] { reverse ? Array((0..<steps).reversed()) : Array(0..<steps) }

    /// What the forward pass keeps for the backward pass besides inputs and outputs:
    /// activated gates `[T, B, 4H]`, cell states and their tanh `[T, B, H]`, the unprojected
    /// outputs with a projection. (Not the outputs: a node that held its own output would
    /// never be freed.)
    struct Internals: @unchecked Sendable {
        let gates: Tensor, cells: Tensor, tanhCells: Tensor, unprojected: Tensor?
    }

    func forward(_ x: Tensor, _ h0: Tensor, _ c0: Tensor, _ wIh: Tensor, _ wHh: Tensor, _ bIh: Tensor?, _ bHh: Tensor?,
                 _ wHr: Tensor?) -> (Tensor, Tensor, Tensor, Internals) {
        let dtype = x.dtype, g4 = 4 * hidden
        let gates = x.view([steps * batch, inputSize]).mm(wIh.t())
        let bias: Tensor? = switch (bIh, bHh) {
        case let (a?, b?): (a + b).contiguous()
        case let (a?, nil): a.contiguous()
        case let (nil, b?): b.contiguous()
        default: nil
        }
        let cells = Tensor(uninitializedShape: [steps, batch, hidden], dtype: dtype)
        let tanhCells = Tensor(uninitializedShape: [steps, batch, hidden], dtype: dtype)
        let unprojected = wHr == nil ? nil : Tensor(uninitializedShape: [steps, batch, hidden], dtype: dtype)
        let output = Tensor(uninitializedShape: [steps, batch, outSize], dtype: dtype)
        // The pass over raw buffers, as a closure a compiled step records and runs again on
        // every replay (its products and activations read the buffers as they are then).
        func pass<T: _FloatElement & _ConvElement>(_: T.Type) -> () -> Void {
            let pg = gates.pointer(T.self), pc = cells.pointer(T.self), pt = tanhCells.pointer(T.self)
            let po = output.pointer(T.self), pr = unprojected?.pointer(T.self)
            let whh = wHh.pointer(T.self), whr = wHr?.pointer(T.self), pb = bias?.pointer(T.self)
            let ph0 = UnsafePointer(h0.pointer(T.self)), pc0 = UnsafePointer(c0.pointer(T.self))
            return { [self] in
            if let pb {
                for row in 0..<(steps * batch) {
                    let r = pg + row * g4
                    for j in 0..<g4 { r[j] += pb[j] }
                }
            }
            let scratch = UnsafeMutablePointer<T>.allocate(capacity: Swift.max(1, hidden))
            let recurrent = _RecurrentMath.PackedWeight(UnsafePointer(whh), 1, outSize, k: outSize, n: g4)
            let projection = whr.map { _RecurrentMath.PackedWeight(UnsafePointer($0), 1, hidden, k: hidden, n: outSize) }
            defer {
                scratch.deallocate()
                recurrent.release()
                projection?.release()
            }
            var previous = -1
            for t in order {
                let hPrev = previous < 0 ? ph0 : UnsafePointer(po + previous * batch * outSize)
                let cPrev = previous < 0 ? pc0 : UnsafePointer(pc + previous * batch * hidden)
                let gt = pg + t * batch * g4
                // gates += h_{t-1} W_hhᵀ
                recurrent.multiply(hPrev, outSize, 1, gt, m: batch, accumulate: true)
                let ct = pc + t * batch * hidden, tt = pt + t * batch * hidden
                let rt = pr.map { $0 + t * batch * hidden } ?? (po + t * batch * outSize)
                for b in 0..<batch {
                    let row = gt + b * g4
                    _RecurrentMath.sigmoid(row, 2 * hidden)
                    _RecurrentMath.tanh(row + 2 * hidden, hidden, scratch: scratch)
                    _RecurrentMath.sigmoid(row + 3 * hidden, hidden)
                }
                if T.self == Float.self {
                    // The loops below, eight lanes at a time in C (recurrent.c), same bits.
                    descent_lstm_cell_f32(Int64(batch), Int64(hidden), _floats(gt), _floats(cPrev), _floats(ct), _floats(tt))
                    for b in 0..<batch { _RecurrentMath.tanh(tt + b * hidden, hidden, scratch: scratch) }
                    descent_lstm_output_f32(Int64(batch), Int64(hidden), _floats(gt), _floats(tt), _floats(rt))
                } else {
                    for b in 0..<batch {
                        let row = gt + b * g4
                        let c = ct + b * hidden, cp = cPrev + b * hidden, th = tt + b * hidden, r = rt + b * hidden
                        for j in 0..<hidden { c[j] = row[hidden + j] * cp[j] + row[j] * row[2 * hidden + j] }
                        for j in 0..<hidden { th[j] = c[j] }
                        _RecurrentMath.tanh(th, hidden, scratch: scratch)
                        for j in 0..<hidden { r[j] = row[3 * hidden + j] * th[j] }
                    }
                }
                if let projection, let pr {
                    // h_t = r_t W_hrᵀ
                    projection.multiply(pr + t * batch * hidden, hidden, 1, po + t * batch * outSize, m: batch, accumulate: false)
                }
                previous = t
            }
            }
        }
        let work = dtype == .float64 ? pass(Double.self) : pass(Float.self)
        work()
        _CaptureTape.record(work, writes: [cells, tanhCells, output] + (unprojected.map { [$0] } ?? []),
                            reads: [h0, c0, wHh] + [wHr, bias].compactMap { $0 }, alsoInPlace: [gates])
        let last = reverse ? 0 : steps - 1
        let h = steps == 0 ? h0.clone() : output.select(0, last).clone()
        let c = steps == 0 ? c0.clone() : cells.select(0, last).clone()
        return (output, h, c, Internals(gates: gates.view([steps, batch, g4]), cells: cells, tanhCells: tanhCells,
                                        unprojected: unprojected))
    }

    struct Gradients {
        var x: Tensor?, h0: Tensor?, c0: Tensor?, wIh: Tensor?, wHh: Tensor?, bias: Tensor?, wHr: Tensor?
    }

    /// Back through time for the gradient `g` of output `k` (0: outputs, 1: final h, 2: final c).
    func backward(output k: Int, _ g: Tensor, x: Tensor, h0: Tensor, c0: Tensor, wIh: Tensor, wHh: Tensor, wHr: Tensor?,
                  output: Tensor, internals saved: Internals, needs: (x: Bool, h0: Bool)) -> Gradients {
        let dtype = x.dtype, g4 = 4 * hidden
        let dA = Tensor(uninitializedShape: [steps, batch, g4], dtype: dtype)
        // With a projection, the gradient reaching each step's h is kept to form W_hr's.
        let dH = wHr == nil ? nil : Tensor(uninitializedShape: [steps, batch, outSize], dtype: dtype)
        let dh = Tensor.zeros([batch, outSize], dtype: dtype), dc = Tensor.zeros([batch, hidden], dtype: dtype)
        if k == 1 { dh._copyRaw(g) }
        if k == 2 { dc._copyRaw(g) }
        // Back through time over raw buffers, as a closure a compiled step records (as the forward pass).
        func pass<T: _FloatElement & _ConvElement>(_: T.Type) -> () -> Void {
            let pa = dA.pointer(T.self), pdh = dh.pointer(T.self), pdc = dc.pointer(T.self)
            let pgates = saved.gates.pointer(T.self), pc = saved.cells.pointer(T.self), pt = saved.tanhCells.pointer(T.self)
            let whh = wHh.pointer(T.self), whr = wHr?.pointer(T.self), pH = dH?.pointer(T.self)
            let pc0 = c0.pointer(T.self), gout = k == 0 ? g.pointer(T.self) : nil
            // The outputs' gradient is read through its strides: for a batch-first layer it is a
            // transposed view, which a contiguous copy would cost a pass over it.
            let (gStep, gRow) = k == 0 ? (g.strides[0], g.strides[1]) : (0, 0)
            return { [self] in
            let dr = UnsafeMutablePointer<T>.allocate(capacity: Swift.max(1, batch * hidden))
            let recurrent = _RecurrentMath.PackedWeight(UnsafePointer(whh), outSize, 1, k: g4, n: outSize)
            let projection = whr.map { _RecurrentMath.PackedWeight(UnsafePointer($0), hidden, 1, k: outSize, n: hidden) }
            defer {
                dr.deallocate()
                recurrent.release()
                projection?.release()
            }
            let visit = order
            for (n, t) in visit.enumerated().reversed() {
                if let gout {
                    for b in 0..<batch {
                        let gt = gout + t * gStep + b * gRow, d = pdh + b * outSize
                        for j in 0..<outSize { d[j] += gt[j] }
                    }
                }
                if let projection, let pH {
                    let ph = pH + t * batch * outSize
                    ph.update(from: pdh, count: batch * outSize)
                    projection.multiply(pdh, outSize, 1, dr, m: batch, accumulate: false)
                } else {
                    dr.update(from: pdh, count: batch * hidden)
                }
                let previous = n > 0 ? visit[n - 1] : -1
                let gt = pgates + t * batch * g4, at = pa + t * batch * g4
                if T.self == Float.self {
                    // The loop below, eight lanes at a time in C (recurrent.c), same bits.
                    let cp = previous < 0 ? pc0 : pc + previous * batch * hidden
                    descent_lstm_cell_backward_f32(Int64(batch), Int64(hidden), _floats(gt), _floats(pt + t * batch * hidden),
                                                   _floats(cp), _floats(dr), _floats(pdc), _floats(at))
                } else {
                    for b in 0..<batch {
                        let gate = gt + b * g4, a = at + b * g4
                        let th = pt + (t * batch + b) * hidden
                        let cp = previous < 0 ? pc0 + b * hidden : pc + (previous * batch + b) * hidden
                        let d = dr + b * hidden, c = pdc + b * hidden
                        for j in 0..<hidden {
                            let i = gate[j], f = gate[hidden + j], gg = gate[2 * hidden + j], o = gate[3 * hidden + j]
                            let tc = th[j]
                            let dcj = c[j] + d[j] * o * (1 - tc * tc)
                            a[j] = dcj * gg * i * (1 - i)
                            a[hidden + j] = dcj * cp[j] * f * (1 - f)
                            a[2 * hidden + j] = dcj * i * (1 - gg * gg)
                            a[3 * hidden + j] = d[j] * tc * o * (1 - o)
                            c[j] = dcj * f
                        }
                    }
                }
                // dh_{t-1} = dA_t W_hh (not needed past the first step unless h0 wants a gradient)
                if n > 0 || needs.h0 {
                    recurrent.multiply(at, g4, 1, pdh, m: batch, accumulate: false)
                }
            }
            }
        }
        let work = dtype == .float64 ? pass(Double.self) : pass(Float.self)
        work()
        _CaptureTape.record(work, writes: [dA] + (dH.map { [$0] } ?? []),
                            reads: [saved.gates, saved.cells, saved.tanhCells, c0, wHh] + [k == 0 ? g : nil, wHr].compactMap { $0 },
                            alsoInPlace: [dh, dc])
        return noGrad {
            let rows = steps * batch
            let a2 = dA.view([rows, g4])
            var grads = Gradients()
            if needs.x { grads.x = a2.mm(wIh).view([steps, batch, inputSize]) }
            grads.wIh = a2.t().mm(x.view([rows, inputSize]))
            // W_hh's gradient pairs each step's dA with the h before it: the outputs one step
            // back (two products over the steps in order, no copy), and h0 for the first step.
            if steps > 1 {
                let later = dA.narrow(0, reverse ? 0 : 1, steps - 1).reshape([(steps - 1) * batch, g4])
                let earlier = output.narrow(0, reverse ? 1 : 0, steps - 1).reshape([(steps - 1) * batch, outSize])
                grads.wHh = later.t().mm(earlier)
            }
            let first = dA.select(0, reverse ? steps - 1 : 0).t().mm(h0)
            grads.wHh = grads.wHh.map { $0 + first } ?? first
            grads.bias = a2.sum(dim: 0)
            grads.h0 = dh
            grads.c0 = dc
            if let dH, let unprojected = saved.unprojected {
                grads.wHr = dH.view([rows, outSize]).t().mm(unprojected.view([rows, hidden]))
            }
            return grads
        }
    }
}
