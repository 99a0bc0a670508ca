// `print(tensor)` reproduces PyTorch's `repr` character for character (torch/_tensor_str.py).

extension Tensor: CustomStringConvertible, CustomDebugStringConvertible {
    /// PyTorch's `repr`: values, then `dtype=`, `grad_fn=` or `requires_grad=True` suffixes.
    ///
    /// ```swift
    /// print(Tensor([[56, 70], [81, 101]]))
    /// // tensor([[ 56.,  70.],
    /// //         [ 81., 101.]])
    /// ```
    public var description: String {
        _CaptureTape.refuse("the step prints a tensor")
        return self is Parameter ? "Parameter containing:\n" + _repr(PrintOptions.current) : _repr(PrintOptions.current)
    }

    /// The same text as ``description``.
    public var debugDescription: String { description }

    func _repr(_ options: PrintOptions) -> String {
        let prefix = "tensor("
        let indent = prefix.count
        var suffixes: [String] = []
        let body: String
        if scalarCount == 0 {
            body = "[]"
            if rank != 1 { suffixes.append("size=" + Tensor._pythonTuple(shape)) }
            if dtype != .float32 { suffixes.append("dtype=\(dtype)") }
        } else {
            if dtype == .float64 { suffixes.append("dtype=\(dtype)") }
            let values = _PrintValues(self)
            let summarize = scalarCount > options.threshold
            let sample = summarize ? values.summarized(shape, options.edgeItems) : values.all
            let formatter = _Formatter(sample, dtype: dtype, options: options)
            body = values.render(shape: shape, indent: indent, summarize: summarize, formatter: formatter, options: options)
        }
        if let node = _gradFn {
            suffixes.append("grad_fn=<\(node.name)>")
        } else if _requiresGrad {
            suffixes.append("requires_grad=True")
        }
        var s = prefix + body
        let lastNewline = s.lastIndex(of: "\n").map { s.distance(from: s.startIndex, to: $0) } ?? -1
        // PyTorch's `len(s) - s.rfind("\n") + 1` counts two more than the last line's length.
        var last = s.count - lastNewline + 1
        for suffix in suffixes {
            if last + suffix.count + 2 > options.lineWidth {
                s += ",\n" + String(repeating: " ", count: indent) + suffix
                last = indent + suffix.count
            } else {
                s += ", " + suffix
                last += suffix.count + 2
            }
        }
        return s + ")"
    }

    /// Python's `str(tuple)`: `(0, 3)`, `(0,)`.
    static func _pythonTuple(_ shape: [Int]) -> String {
        shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
    }
}

/// A tensor's elements, row-major, in the form the formatter reads.
private struct _PrintValues {
    enum Storage {
        case float([Double])
        case int([Int64])
        case bool([Bool])
    }
    let storage: Storage
    let strides: [Int]

    init(_ t: Tensor) {
        switch t.dtype {
        case .float32, .float64: storage = .float(t.scalars(as: Double.self))
        case .int64: storage = .int(t.scalars(as: Int64.self))
        case .bool: storage = .bool(t.scalars(as: Bool.self))
        }
        strides = Shape.contiguousStrides(t.shape)
    }

    var all: _Sample {
        switch storage {
        case .float(let v): .float(v)
        case .int(let v): .int(v)
        case .bool(let v): .bool(v)
        }
    }

    /// The elements that stay visible when summarising (`get_summarized_data`).
    func summarized(_ shape: [Int], _ edge: Int) -> _Sample {
        var picked: [Int] = []
        func visit(_ d: Int, _ base: Int) {
            if d == shape.count { picked.append(base); return }
            let n = shape[d]
            let indices: [Int]
            if n > 2 * edge {
                indices = Array(0..<edge) + Array((n - edge)..<n)
            } else if d > 0 && edge == 0 {
                indices = []
            } else {
                indices = Array(0..<n)
            }
            for i in indices { visit(d + 1, base + i * strides[d]) }
        }
        visit(0, 0)
        switch storage {
        case .float(let v): return .float(picked.map { v[$0] })
        case .int(let v): return .int(picked.map { v[$0] })
        case .bool(let v): return .bool(picked.map { v[$0] })
        }
    }

    func format(_ i: Int, _ f: _Formatter) -> String {
        switch storage {
        case .float(let v): f.format(v[i])
        case .int(let v): f.pad(String(v[i]))
        case .bool(let v): f.pad(v[i] ? "True" : "False")
        }
    }

    /// `_tensor_str_with_formatter`: nested brackets, wrapped vectors and `...` cuts.
    func render(shape: [Int], indent: Int, summarize: Bool, formatter: _Formatter, options: PrintOptions) -> String {
        func go(_ d: Int, _ base: Int, _ indent: Int) -> String {
            let dims = shape.count - d
            if dims == 0 { return format(base, formatter) }
            let n = shape[d]
            let edge = options.edgeItems
            if dims == 1 {
                let width = formatter.width + 2
                let perLine = Swift.max(1, (options.lineWidth - indent) / width)
                var items: [String]
                if summarize && edge == 0 {
                    items = ["..."]
                } else if summarize && n > 2 * edge {
                    items = (0..<edge).map { format(base + $0 * strides[d], formatter) } + [" ..."]
                        + ((n - edge)..<n).map { format(base + $0 * strides[d], formatter) }
                } else {
                    items = (0..<n).map { format(base + $0 * strides[d], formatter) }
                }
                var lines: [String] = []
                var i = 0
                while i < items.count {
                    lines.append(items[i..<Swift.min(i + perLine, items.count)].joined(separator: ", "))
                    i += perLine
                }
                return "[" + lines.joined(separator: ",\n" + String(repeating: " ", count: indent + 1)) + "]"
            }
            var parts: [String]
            if summarize && n > 2 * edge {
                parts = (0..<edge).map { go(d + 1, base + $0 * strides[d], indent + 1) } + ["..."]
                    + ((n - edge)..<n).map { go(d + 1, base + $0 * strides[d], indent + 1) }
            } else {
                parts = (0..<n).map { go(d + 1, base + $0 * strides[d], indent + 1) }
            }
            let separator = "," + String(repeating: "\n", count: dims - 1) + String(repeating: " ", count: indent + 1)
            return "[" + parts.joined(separator: separator) + "]"
        }
        return go(0, 0, indent)
    }
}

private enum _Sample {
    case float([Double])
    case int([Int64])
    case bool([Bool])
}

/// PyTorch's `_Formatter`: picks integer, fixed or scientific notation and one column width
/// from the values that will be shown.
private struct _Formatter {
    var isFloat = false
    var intMode = true
    var sciMode = false
    var width = 1
    let precision: Int

    init(_ sample: _Sample, dtype: DType, options: PrintOptions) {
        precision = options.precision
        switch sample {
        case .int(let v):
            for x in v { width = Swift.max(width, String(x).count) }
            return
        case .bool(let v):
            for x in v { width = Swift.max(width, x ? 4 : 5) }
            return
        case .float(let v):
            isFloat = true
            let finite = v.filter { $0.isFinite && $0 != 0 }
            if !finite.isEmpty {
                // Statistics in the tensor's own dtype, then widened, as PyTorch computes them.
                let magnitudes = finite.map { Swift.abs($0) }
                let lo = magnitudes.min()!, hi = magnitudes.max()!
                intMode = finite.allSatisfy { $0 == $0.rounded(.up) }
                sciMode = options.sciMode ?? (hi / lo > 1000 || hi > 1e8 || lo < 1e-4)
                for x in finite {
                    let text = sciMode ? NumberFormat.scientific(x, precision)
                        : intMode ? NumberFormat.fixed(x, 0) + "." : NumberFormat.fixed(x, precision)
                    width = Swift.max(width, text.count)
                }
            }
        }
    }

    func format(_ value: Double) -> String {
        let s: String
        if sciMode {
            s = NumberFormat.scientific(value, precision)
        } else if intMode {
            s = NumberFormat.fixed(value, 0) + (value.isFinite ? "." : "")
        } else {
            s = NumberFormat.fixed(value, precision)
        }
        return pad(s)
    }

    func pad(_ s: String) -> String {
        s.count >= width ? s : String(repeating: " ", count: width - s.count) + s
    }
}
