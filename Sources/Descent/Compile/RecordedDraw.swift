extension Tensor {
    /// Fills `self` (contiguous) with `fill`'s draws from `generator`, the global one when nil.
    ///
    /// Inside a compiled step's capture the draw is recorded: every replay draws again from
    /// the same generator, in the step's order, so replays carry on the stream exactly as
    /// eager calls would (a dropout mask is new on every call, and the same as eager's). The
    /// fill reads its `inputs` (bernoulli's probabilities) through bare handles on replay.
    func _draw(from generator: Generator?, reading inputs: [Tensor] = [],
               _ fill: @escaping (_ out: Tensor, _ inputs: [Tensor], _ state: inout Generator.State) -> Void) {
        let g = generator ?? .default
        guard _CaptureTape.isActive else {
            g.withState { fill(self, inputs, &$0) }
            return
        }
        _CaptureTape.suspended { g.withState { fill(self, inputs, &$0) } }
        let target = _CaptureTape.handle(self), handles = inputs.map(_CaptureTape.handle)
        _CaptureTape.record({ g.withState { fill(target, handles, &$0) } }, writes: self, inPlace: true, reads: inputs)
    }
}
