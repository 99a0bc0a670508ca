import Foundation
@testable import Descent
import DescentNN

/// A JSON value as `Scripts/difftest.py` writes programs and results.
enum JSONValue: Decodable, Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        // Doubles first: Foundation reads `-0.0` as the integer 0. The script writes int64
        // tensor values as strings, so no integer here needs more than a double's 53 bits.
        else if let d = try? c.decode(Double.self) {
            // Integers past 2^53 (randint's bounds) read exactly as integers.
            if d == d.rounded(), Swift.abs(d) >= 0x1p53, let i = try? c.decode(Int64.self) { self = .int(i) } else { self = .double(d) }
        }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    subscript(_ key: String) -> JSONValue? {
        if case .object(let o) = self { return o[key] }
        return nil
    }
    var string: String? { if case .string(let s) = self { s } else { nil } }
    var int: Int? {
        switch self {
        case .int(let i): Int(i)
        case .double(let d) where d == d.rounded() && Swift.abs(d) < 0x1p62: Int(d)
        default: nil
        }
    }
    var bool: Bool? { if case .bool(let b) = self { b } else { nil } }
    var array: [JSONValue]? { if case .array(let a) = self { a } else { nil } }
    var isNull: Bool { if case .null = self { true } else { false } }
    /// A number (or "nan", "inf", "-inf", or a boolean) as a double.
    var number: Double? {
        switch self {
        case .int(let i): Double(i)
        case .double(let d): d
        case .bool(let b): b ? 1 : 0
        case .string("nan"): .nan
        case .string("inf"): .infinity
        case .string("-inf"): -.infinity
        default: nil
        }
    }
}

/// One generated program with PyTorch's results.
struct DifferentialProgram: Decodable, Sendable {
    let id: Int
    /// A named program's name (`Scripts/difftest.py named`).
    let name: String?
    let program: [JSONValue]
    let error: JSONValue?
    let state: [String: JSONValue]

    /// The index of the statement PyTorch refused, if any.
    var errorIndex: Int? { error?["at"]?.int }
}

struct DifferentialFile: Decodable {
    let programs: [DifferentialProgram]
}

/// Replays a program's statements with Descent's public API and compares the end state with
/// PyTorch's, bit for bit.
struct DifferentialRunner {
    let program: DifferentialProgram
    var env: [String: Tensor] = [:]
    /// Whether the program took a dot product of two vectors (compared to 1e-5 then).
    var usesBLASDot = false
    let generator = Generator(seed: 0)

    init(_ program: DifferentialProgram) { self.program = program }

    /// Runs every statement before PyTorch's error (all of them when there is none).
    mutating func run(upTo end: Int? = nil) {
        let stop = end ?? program.errorIndex ?? program.program.count
        // The programs ran on PyTorch's reference build (ATEN_CPU_CAPABILITY=default).
        CPUCapability.$override.withValue(.default) {
            for s in program.program.prefix(stop) { run(s) }
        }
    }

    private func dtype(_ name: String?) -> DType {
        switch name {
        case "float64": .float64
        case "int64": .int64
        case "bool": .bool
        default: .float32
        }
    }

    private func ints(_ v: JSONValue?) -> [Int] { v?.array?.compactMap(\.int) ?? [] }

    /// A statement's operand: a variable, or a Swift number standing where Python's is.
    private enum Operand {
        case tensor(Tensor)
        case int(Int)
        case double(Double)
    }

    private func operand(_ v: JSONValue?) -> Operand {
        if let name = v?["var"]?.string { return .tensor(env[name]!) }
        if let i = v?["int"]?.int { return .int(i) }
        return .double(v?["float"]?.number ?? 0)
    }

    private func binary(_ fn: String, _ a: Operand, _ b: Operand) -> Tensor {
        switch (a, b) {
        case (.tensor(let x), .tensor(let y)):
            switch fn {
            case "add": return x + y
            case "sub": return x - y
            case "mul": return x * y
            case "div": return x / y
            case "pow": return x.pow(y)
            case "maximum": return Tensor.maximum(x, y)
            case "minimum": return Tensor.minimum(x, y)
            case "eq": return x .== y
            case "lt": return x .< y
            default: return x .> y
            }
        case (.tensor(let x), .int(let n)):
            switch fn {
            case "add": return x + n
            case "sub": return x - n
            case "mul": return x * n
            case "div": return x / n
            case "pow": return x.pow(n)
            case "eq": return x .== Double(n)
            case "lt": return x .< Double(n)
            default: return x .> Double(n)
            }
        case (.tensor(let x), .double(let d)):
            switch fn {
            case "add": return x + d
            case "sub": return x - d
            case "mul": return x * d
            case "div": return x / d
            case "pow": return x.pow(d)
            case "eq": return x .== d
            case "lt": return x .< d
            default: return x .> d
            }
        case (.int(let n), .tensor(let y)):
            switch fn {
            case "add": return n + y
            case "sub": return n - y
            case "mul": return n * y
            case "div": return n / y
            default: return Tensor.pow(n, y)
            }
        case (.double(let d), .tensor(let y)):
            switch fn {
            case "add": return d + y
            case "sub": return d - y
            case "mul": return d * y
            case "div": return d / y
            default: return Tensor.pow(d, y)
            }
        default:
            fatalError("no tensor operand")
        }
    }

    private func unary(_ fn: String, _ x: Tensor) -> Tensor {
        switch fn {
        case "neg": -x
        case "exp": x.exp()
        case "log": x.log()
        case "sqrt": x.sqrt()
        case "abs": x.abs()
        case "sigmoid": x.sigmoid()
        case "tanh": x.tanh()
        case "relu": x.relu()
        case "reciprocal": x.reciprocal()
        case "clone": x.clone()
        case "detach": x.detach()
        case "contiguous": x.contiguous()
        case "t": x.t()
        case "float": x.to(.float32)
        case "double": x.to(.float64)
        case "long": x.to(.int64)
        case "square": x * x
        case "gelu": x.gelu()
        case "log1p": x.log1p()
        default: x.sign()
        }
    }

    private func indexItems(_ v: JSONValue?) -> [TensorIndex] {
        (v?.array ?? []).map { item -> TensorIndex in
            if let k = item["int"]?.int { return .index(k) }
            if let s = item["slice"]?.array { return .slice(s[0].int, s[1].int, step: s[2].int ?? 1) }
            if item["none"] != nil { return .newAxis }
            if item["ellipsis"] != nil { return .ellipsis }
            return .tensor(env[item["tensor"]!.string!]!)
        }
    }

    mutating func run(_ s: JSONValue) {
        let op = s["op"]!.string!
        let out = s["out"]?.string
        switch op {
        case "seed":
            generator.manualSeed(UInt64(s["seed"]!.int!))
        case "tensor":
            let shape = ints(s["shape"])
            let values = s["values"]!.array!
            let t = dtype(s["dtype"]?.string) == .int64
                ? Tensor(shape: shape, scalars: values.map { Int64($0.int!) })
                : Tensor(shape: shape, scalars: values.map { $0.number! }, dtype: dtype(s["dtype"]?.string))
            if s["requires_grad"]?.bool == true { t.requiresGrad = true }
            env[out!] = t
        case "random":
            let shape = ints(s["shape"])
            switch s["kind"]!.string! {
            case "randn": env[out!] = Tensor.randn(shape, dtype: dtype(s["dtype"]?.string), generator: generator)
            case "rand": env[out!] = Tensor.rand(shape, dtype: dtype(s["dtype"]?.string), generator: generator)
            default:
                env[out!] = Tensor.randint(s["low"]!.int!, s["high"]!.int!, shape, dtype: dtype(s["dtype"]?.string), generator: generator)
            }
        case "full":
            let shape = ints(s["shape"])
            let v = s["value"]!
            if let i = v["int"]?.int { env[out!] = Tensor.full(shape, i) }
            else if let b = v["bool"]?.bool { env[out!] = Tensor.full(shape, b) }
            else { env[out!] = Tensor.full(shape, v["float"]!.number!) }
        case "binary":
            env[out!] = binary(s["fn"]!.string!, operand(s["a"]), operand(s["b"]))
        case "unary":
            env[out!] = unary(s["fn"]!.string!, env[s["a"]!.string!]!)
        case "reduce":
            let x = env[s["a"]!.string!]!
            let dim = s["dim"]?.int, keep = s["keepdim"]?.bool ?? false
            let correction = s["correction"]?.number ?? 1
            switch s["fn"]!.string! {
            case "max", "min":
                let greater = s["fn"]!.string! == "max"
                if let dim {
                    let r = greater ? x.max(dim: dim, keepDim: keep) : x.min(dim: dim, keepDim: keep)
                    env[out!] = r.values
                    env[s["out2"]!.string!] = r.indices
                } else {
                    env[out!] = greater ? x.max() : x.min()
                }
            case "std":
                env[out!] = dim.map { x.std(dim: $0, correction: correction, keepDim: keep) } ?? x.std(correction: correction)
            case "var":
                env[out!] = dim.map { x.var(dim: $0, correction: correction, keepDim: keep) } ?? x.var(correction: correction)
            case "mean":
                env[out!] = dim.map { x.mean(dim: $0, keepDim: keep) } ?? x.mean()
            default:
                env[out!] = dim.map { x.sum(dim: $0, keepDim: keep) } ?? x.sum()
            }
        case "softmax":
            let x = env[s["a"]!.string!]!
            let dim = s["dim"]!.int!
            env[out!] = s["fn"]!.string! == "softmax" ? x.softmax(dim: dim) : x.logSoftmax(dim: dim)
        case "view":
            let x = env[s["a"]!.string!]!
            let args = ints(s["args"])
            switch s["fn"]!.string! {
            case "reshape": env[out!] = x.reshape(args)
            case "view": env[out!] = x.view(args)
            case "expand": env[out!] = x.expand(args)
            case "unsqueeze": env[out!] = x.unsqueeze(args[0])
            case "squeeze": env[out!] = args.isEmpty ? x.squeeze() : x.squeeze(args[0])
            case "transpose": env[out!] = x.transpose(args[0], args[1])
            case "permute": env[out!] = x.permute(args)
            case "flatten": env[out!] = x.flatten()
            default: env[out!] = x.narrow(args[0], args[1], args[2])
            }
        case "where":
            guard case .tensor(let a) = operand(s["a"]), case .tensor(let b) = operand(s["b"]) else {
                fatalError("where with a number operand")
            }
            env[out!] = Tensor.where(env[s["cond"]!.string!]!, a, b)
        case "index":
            env[out!] = env[s["a"]!.string!]!._index(indexItems(s["items"]))
        case "setitem":
            let target = env[s["target"]!.string!]!
            let value: Tensor
            switch operand(s["value"]) {
            case .tensor(let t): value = t
            case .int(let n): value = Tensor.full([], n)
            case .double(let d): value = Tensor.full([], d)
            }
            target._indexAssign(indexItems(s["items"]), value)
        case "inplace":
            let t = env[s["target"]!.string!]!
            let fn = s["fn"]!.string!
            let value = operand(s["value"])
            let body = {
                switch (fn, value) {
                case ("zero_", _): t.zero()
                case ("fill_", .tensor(let v)): t.fill(v)
                case ("fill_", .int(let n)): t.fill(Double(n))
                case ("fill_", .double(let d)): t.fill(d)
                case ("copy_", .tensor(let v)): t.copy(from: v)
                case ("add_", .tensor(let v)): t += v
                case ("add_", .int(let n)): t += n
                case ("add_", .double(let d)): t += d
                case ("sub_", .tensor(let v)): t -= v
                case ("sub_", .int(let n)): t -= n
                case ("sub_", .double(let d)): t -= d
                case ("mul_", .tensor(let v)): t *= v
                case ("mul_", .int(let n)): t *= n
                case ("mul_", .double(let d)): t *= d
                case ("div_", .tensor(let v)): t /= v
                case ("div_", .int(let n)): t /= Double(n)
                case ("div_", .double(let d)): t /= d
                default: fatalError("unknown in-place op \(fn)")
                }
            }
            if s["no_grad"]?.bool == true { noGrad(body) } else { body() }
        case "random_":
            let t = env[s["target"]!.string!]!
            if let from = s["from"]?.int {
                t.random(from: Int64(from), to: s["to"]?.int.map(Int64.init), generator: generator)
            } else {
                t.random(generator: generator)
            }
        case "loss":
            let a = env[s["a"]!.string!]!, b = env[s["b"]!.string!]!
            let reduction: Reduction = s["reduction"]?.string == "sum" ? .sum : s["reduction"]?.string == "none" ? .none : .mean
            let param = s["param"]?.number ?? 1
            switch s["fn"]!.string! {
            case "mse": env[out!] = Tensor.mseLoss(a, b, reduction: reduction)
            case "l1": env[out!] = Functional.l1Loss(a, b, reduction: reduction)
            case "huber": env[out!] = Tensor.huberLoss(a, b, delta: param, reduction: reduction)
            case "smooth_l1": env[out!] = Tensor.smoothL1Loss(a, b, beta: param, reduction: reduction)
            case "bce": env[out!] = Tensor.binaryCrossEntropy(a, b, reduction: reduction)
            case "bce_logits": env[out!] = Tensor.binaryCrossEntropyWithLogits(a, b, reduction: reduction)
            default: env[out!] = a.nllLoss(b, reduction: reduction)
            }
        case "matmul":
            let a = env[s["a"]!.string!]!, b = env[s["b"]!.string!]!
            // A dot product goes to MKL's `sdot` in PyTorch's x86 wheels, whose order of
            // additions Descent does not reproduce (README, "What to expect").
            if a.rank == 1 && b.rank == 1 { usesBLASDot = true }
            env[out!] = a.matmul(b)
        case "requires_grad":
            env[s["target"]!.string!]!.requiresGrad = true
        case "retain_grad":
            env[s["target"]!.string!]!.retainGrad()
        case "backward":
            let t = env[s["target"]!.string!]!
            let g = s["gradient"]?.string.map { env[$0]! }
            t.backward(gradient: g, retainGraph: s["retain_graph"]?.bool ?? false)
        case "grad_zero":
            env[s["target"]!.string!]!.grad?.zero()
        default:
            fatalError("unknown statement \(op)")
        }
    }

    /// Whether the program calls a function that PyTorch's x86 wheels compute with MKL's
    /// vector math library (`exp`, `log`, `sqrt`, `tanh`; softmax through `exp`), which
    /// is not correctly rounded and differs from the C library in about one value in ten:
    /// values are then compared to 1e-5 relative (README, "What to expect").
    var usesTranscendentals: Bool {
        program.program.contains { s in
            switch s["op"]?.string {
            case "softmax": true
            case "unary": ["exp", "log", "sqrt", "tanh"].contains(s["fn"]?.string ?? "")
            case "loss": s["fn"]?.string == "bce_logits"
            // x ** 0.5 and x ** -0.5 are sqrt and rsqrt kernels there, through MKL.
            case "binary": s["fn"]?.string == "pow" && [0.5, -0.5].contains(s["b"]?["float"]?.number ?? 0)
            default: false
            }
        }
    }

    /// Every difference between Descent's state and PyTorch's, described.
    func differences() -> [String] {
        let approximate = usesTranscendentals || usesBLASDot
        var out: [String] = []
        for (name, expected) in program.state.sorted(by: { $0.key < $1.key }) {
            guard let t = env[name] else {
                out.append("\(name): missing")
                continue
            }
            out += Self.compare("\(name)", t, expected, approximate: approximate)
            if expected["requires_grad"]?.bool != t.requiresGrad {
                out.append("\(name).requires_grad: \(t.requiresGrad), PyTorch \(expected["requires_grad"]!)")
            }
            if let view = expected["is_view"]?.bool, view != (t.base != nil) {
                out.append("\(name) is a view: \(t.base != nil), PyTorch \(view)")
            }
            // The layout (the order of the dimensions in memory: strides on dimensions of
            // one element do not place anything), where the file has it.
            // (An empty tensor places nothing either.)
            if let strides = expected["stride"]?.array?.compactMap(\.int), t.shape.count == strides.count, t.scalarCount > 0,
               zip(t.shape, zip(t.strides, strides)).contains(where: { $0.0 > 1 && $0.1.0 != $0.1.1 }) {
                out.append("\(name).stride(): \(t.strides), PyTorch \(strides)")
            }
            if expected["is_leaf"]?.bool != t.isLeaf {
                out.append("\(name).is_leaf: \(t.isLeaf), PyTorch \(expected["is_leaf"]!)")
            }
            let fn = expected["grad_fn"]?.string
            if fn != t.gradFn?.name {
                out.append("\(name).grad_fn: \(t.gradFn?.name ?? "None"), PyTorch \(fn ?? "None")")
            }
            // After a backward that PyTorch stopped part-way, which gradients it had already
            // written is not compared.
            let failedBackward = program.errorIndex.map { program.program[$0]["op"]?.string == "backward" } ?? false
            if let g = expected["grad"], !failedBackward {
                if g.isNull {
                    if t.isLeaf || t.retainsGrad, let mine = t.isLeaf ? t.grad : t._grad {
                        out.append("\(name).grad: \(mine.shape), PyTorch None")
                    }
                } else if let mine = t.isLeaf ? t.grad : t._grad {
                    out += Self.compare("\(name).grad", mine, g, approximate: approximate)
                } else {
                    out.append("\(name).grad: None, PyTorch \(g["shape"]!)")
                }
            }
        }
        return out
    }

    static func compare(_ label: String, _ t: Tensor, _ expected: JSONValue, approximate: Bool = false) -> [String] {
        let shape = expected["shape"]!.array!.compactMap(\.int)
        if t.shape != shape { return ["\(label).shape: \(t.shape), PyTorch \(shape)"] }
        let dtypeName: String
        switch t.dtype {
        case .float32: dtypeName = "float32"
        case .float64: dtypeName = "float64"
        case .int64: dtypeName = "int64"
        case .bool: dtypeName = "bool"
        }
        if dtypeName != expected["dtype"]!.string! { return ["\(label).dtype: \(dtypeName), PyTorch \(expected["dtype"]!.string!)"] }
        let values = expected["values"]!.array!
        let mine: [Double] = t.dtype == .int64 ? [] : t.scalars(as: Double.self)
        let mineInts: [Int64] = t.dtype == .int64 ? t.scalars(as: Int64.self) : []
        for (k, v) in values.enumerated() {
            if t.dtype == .int64 {
                if let e = v.string.flatMap({ Int64($0) }), e == mineInts[k] { continue }
                return ["\(label)[\(k)]: \(mineInts[k]), PyTorch \(v)"]
            }
            let e = v.number!, a = mine[k]
            if e.isNaN && a.isNaN { continue }
            if e == a && (e != 0 || e.sign == a.sign) { continue }
            if approximate {
                // float32 intermediates can reach a float64 result: the float32 tolerance.
                let tolerance = 1e-5
                if e.isFinite && Swift.abs(a - e) <= tolerance * Swift.max(Swift.abs(e), 1) { continue }
            }
            return ["\(label)[\(k)]: \(a), PyTorch \(e)"]
        }
        return []
    }
}
