extension Generator {
    /// The generator's whole state as an int64 tensor, to save beside a checkpoint and give to
    /// ``setState(_:)`` later, like `torch.Generator.get_state()`.
    ///
    /// Layout: the seed, the position in the twister's state, whether a cached normal value is
    /// held, that value's bits, then the 624 state words (628 values in all).
    ///
    /// ```swift
    /// let saved = g.getState()
    /// let a = Tensor.randn(3, generator: g)
    /// g.setState(saved)
    /// let b = Tensor.randn(3, generator: g)   // equal to a
    /// ```
    public func getState() -> Tensor {
        withState { state in
            let (words, index) = state.engine.words
            var values: [Int64] = [
                Int64(bitPattern: state.seed), Int64(index),
                state.nextDoubleNormal == nil ? 0 : 1,
                Int64(bitPattern: (state.nextDoubleNormal ?? 0).bitPattern),
            ]
            values += words.map { Int64($0) }
            return Tensor(shape: [values.count], scalars: values, dtype: .int64)
        }
    }

    /// Restores a state from ``getState()``.
    ///
    /// - Returns: `false`, changing nothing, when `state` is not such a tensor (wrong dtype or
    ///   length, or values out of range), so that a damaged checkpoint cannot corrupt the stream.
    @discardableResult
    public func setState(_ state: Tensor) -> Bool {
        guard state.dtype == .int64, state.shape == [628] else { return false }
        let values = state.scalars(as: Int64.self)
        let words = values[4...].map { UInt32(exactly: $0) }
        guard values[2] == 0 || values[2] == 1, words.allSatisfy({ $0 != nil }),
              let index = Int(exactly: values[1]),
              let engine = MT19937(state: words.map { $0! }, index: index)
        else { return false }
        withState {
            $0 = State(engine: engine, seed: UInt64(bitPattern: values[0]),
                       nextDoubleNormal: values[2] == 1 ? Double(bitPattern: UInt64(bitPattern: values[3])) : nil)
        }
        return true
    }
}
