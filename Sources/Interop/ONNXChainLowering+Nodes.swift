import Format
import _ONNX

/// The ONNX operators (default domain) that ``ONNXImporter`` lowers to nnkit layers, and what each
/// becomes. Composites (several nodes making one activation) are matched first; see
/// ``ONNXImporter`` and `spec/onnx.md`.
enum ONNXOperator: String, CaseIterable {
    case gemm = "Gemm", matMul = "MatMul", add = "Add", sub = "Sub", mul = "Mul", div = "Div"
    case relu = "Relu", tanh = "Tanh", sigmoid = "Sigmoid", leakyRelu = "LeakyRelu", elu = "Elu", selu = "Selu"
    case softplus = "Softplus", softsign = "Softsign", hardSigmoid = "HardSigmoid", hardSwish = "HardSwish"
    case clip = "Clip", gelu = "Gelu", mish = "Mish", softmax = "Softmax", logSoftmax = "LogSoftmax", exp = "Exp"
    case thresholdedRelu = "ThresholdedRelu", erf = "Erf"
    case batchNormalization = "BatchNormalization"
    case identity = "Identity", dropout = "Dropout", cast = "Cast", flatten = "Flatten", reshape = "Reshape", constant = "Constant"

    /// What a single node of this operator imports as, when it stands alone (not inside a composite).
    enum Lowering {
        /// A fully connected layer (Gemm; MatMul with an optional following Add).
        case dense
        /// One activation with Keras' definition.
        case activation(ActivationName)
        /// Needs its attributes or constant inputs to decide (Clip, LeakyRelu, Elu, Selu, HardSigmoid,
        /// Softmax/LogSoftmax axis, Gelu approximation, Sub+Div normalisation, BatchNormalization).
        case configured
        /// No computation on `[batch, features]` (checked per node: Flatten axis, Reshape target, Cast type).
        case noOp
        /// A constant producer (folded into the constants of the graph).
        case constant
        /// Only valid inside a composite (Erf in gelu; Add/Mul/Div with constants in gelu and hard_sigmoid).
        case compositeOnly
    }

    var lowering: Lowering {
        switch self {
        case .gemm, .matMul: .dense
        case .relu: .activation(.relu)
        case .tanh: .activation(.tanh)
        case .sigmoid: .activation(.sigmoid)
        case .softplus: .activation(.softplus)
        case .softsign: .activation(.softsign)
        case .hardSwish: .activation(.hardSilu)
        case .mish: .activation(.mish)
        case .exp: .activation(.exponential)
        case .leakyRelu, .elu, .selu, .hardSigmoid, .clip, .gelu, .softmax, .logSoftmax, .thresholdedRelu, .batchNormalization, .sub: .configured
        case .identity, .dropout, .cast, .flatten, .reshape: .noOp
        case .constant: .constant
        case .add, .mul, .div, .erf: .compositeOnly
        }
    }

    /// Operator names for error messages, sorted.
    static var supportedNames: [String] { allCases.map(\.rawValue).sorted() }
}

extension ONNXChainLowering {
    /// Lowers the one node `i` reading the chain value; returns the new chain value.
    mutating func lowerSingle(_ i: Int, value: String) throws -> String {
        let n = node(i)
        guard n.domain.isEmpty || n.domain == "ai.onnx", let op = ONNXOperator(rawValue: n.opType) else {
            throw ONNXImportError.unsupportedOperator(file: file, node: i, name: n.name, op: n.opType, domain: n.domain, supported: ONNXOperator.supportedNames)
        }
        let out = try chainStep(i, value: value)
        consumed[i] = true
        switch op.lowering {
        case .activation(let a):
            appendActivation(a)
        case .noOp:
            try checkNoOp(op, i)
        case .dense:
            try lowerDense(op, i)
        case .configured:
            try lowerConfigured(op, i)
        case .constant:
            break  // folded before the walk; unreachable here
        case .compositeOnly:
            if op == .add, try foldBias(i) { break }
            throw unsupported(i, "\(op.rawValue) is read only as a bias after Gemm/MatMul or inside gelu, silu, mish, hard_sigmoid and hard_silu compositions")
        }
        return out
    }

    /// Identity, Dropout, Cast to float, Flatten on axis 1 and Reshape to `[batch, features]` change nothing.
    func checkNoOp(_ op: ONNXOperator, _ i: Int) throws {
        switch op {
        case .identity, .dropout:
            return
        case .cast:
            let to = try intAttribute(i, "to", default: 0)
            guard to == Int64(ONNXDataType.float.number) else {
                throw unsupported(i, "Cast to \(ONNXDataType(number: Int32(truncatingIfNeeded: to))); only Cast to float32 is read (nnkit computes in float32)")
            }
        case .flatten:
            let axis = try intAttribute(i, "axis", default: 1)
            guard axis == 1 || axis == -1 else { throw unsupported(i, "Flatten with axis \(axis); on [batch, features] only axis 1 (no change) is read") }
        case .reshape:
            let n = node(i)
            guard n.inputs.count >= 2, let t = constants[n.inputs[1]], let shape = try? t.int64Values() else {
                throw unsupported(i, "Reshape's shape must be a constant int64 tensor")
            }
            let allowZero = try intAttribute(i, "allowzero", default: 0)
            let w = Int64(width ?? -2)
            let firstOK = shape.count == 2 && (shape[0] == -1 || (shape[0] == 0 && allowZero == 0))
            let secondOK = shape.count == 2 && (shape[1] == w || (shape[1] == -1 && shape[0] == 0 && allowZero == 0))
            guard firstOK, secondOK else {
                throw unsupported(i, "Reshape to \(shape); on [batch, \(width.map(String.init) ?? "?")] only [-1, \(width.map(String.init) ?? "features")] or [0, \(width.map(String.init) ?? "features")] (no change) is read")
            }
        case .gemm, .matMul, .add, .sub, .mul, .div, .relu, .tanh, .sigmoid, .leakyRelu, .elu, .selu, .softplus, .softsign,
             .hardSigmoid, .hardSwish, .clip, .gelu, .mish, .softmax, .logSoftmax, .exp, .thresholdedRelu, .erf,
             .batchNormalization, .constant:
            throw unsupported(i, "\(op.rawValue) is not a no-op")  // unreachable: ``ONNXOperator/lowering`` routes only no-ops here
        }
    }

    /// Gemm (alpha, beta, transB 0/1, optional C) and MatMul with a constant `[in, units]` right side.
    mutating func lowerDense(_ op: ONNXOperator, _ i: Int) throws {
        let n = node(i)
        guard n.inputs.count >= 2 else { throw unsupported(i, "\(op.rawValue) needs two inputs") }
        var (dims, w) = try floats(n.inputs[1], node: i, what: "weight")
        guard dims.count == 2, dims[0] >= 1, dims[1] >= 1 else { throw unsupported(i, "its weight has shape \(dims); expected a matrix") }
        var alpha: Float = 1, beta: Float = 1
        if op == .gemm {
            guard try intAttribute(i, "transA", default: 0) == 0 else { throw unsupported(i, "transA = 1; the chain value must be [batch, features]") }
            alpha = try floatAttribute(i, "alpha", default: 1)
            beta = try floatAttribute(i, "beta", default: 1)
            switch try intAttribute(i, "transB", default: 0) {
            case 0: break
            case 1:
                // B is [units, in] (PyTorch's Linear.weight): transpose to nnkit's [in, units].
                let (u, k) = (dims[0], dims[1])
                var t = [Float](repeating: 0, count: w.count)
                // In 32 × 32 tiles: a plain column walk misses the cache on every element of large layers.
                w.withUnsafeBufferPointer { src in
                    t.withUnsafeMutableBufferPointer { dst in
                        for r0 in stride(from: 0, to: u, by: 32) {
                            for c0 in stride(from: 0, to: k, by: 32) {
                                for r in r0..<min(r0 + 32, u) { for c in c0..<min(c0 + 32, k) { dst[c * u + r] = src[r * k + c] } }
                            }
                        }
                    }
                }
                w = t
                dims = [k, u]
            case let v: throw unsupported(i, "transB = \(v); expected 0 or 1")
            }
        }
        let (inWidth, units) = (dims[0], dims[1])
        if let width, width != inWidth {
            throw unsupported(i, "its weight has \(inWidth) input rows but the chain value has \(width) features")
        }
        if width == nil { width = inWidth }
        if alpha != 1 { w = w.map { $0 * alpha } }
        var bias: [Float]?
        if op == .gemm, n.inputs.count >= 3, !n.inputs[2].isEmpty {
            bias = try perFeature(n.inputs[2], node: i, what: "bias C", width: units).map { $0 * beta }
        }
        var tensors: [(String, [Int], [Float])] = [("kernel", [inWidth, units], w)]
        if let bias { tensors.append(("bias", [units], bias)) }
        append(.dense(Dense(units: units, activation: .linear, useBias: bias != nil)), tensors: tensors)
        width = units
    }

    /// `Add(x, c)` right after a linear Dense layer: `c` (per unit) becomes or joins its bias.
    mutating func foldBias(_ i: Int) throws -> Bool {
        guard let last = layers.indices.last, case .dense(var d) = layers[last].kind, d.activation == .linear, let w = width else { return false }
        let n = node(i)
        guard n.inputs.count == 2 else { return false }
        let b = try perFeature(constants[n.inputs[1]] != nil ? n.inputs[1] : n.inputs[0], node: i, what: "bias", width: w)  // x + b or b + x
        let path = "layers.\(last).bias"
        if d.useBias, let k = tensors.firstIndex(where: { $0.name == path }) {
            let old = tensors[k].tensor.floats()
            tensors[k].tensor = Tensor(shape: [w], values: zip(old, b).map { $0 + $1 })
        } else {
            d.useBias = true
            layers[last].kind = .dense(d)
            tensors.append(NamedTensor(name: path, tensor: Tensor(shape: [w], values: b)))
        }
        return true
    }

    /// Operators whose attributes or constant inputs decide what they become.
    mutating func lowerConfigured(_ op: ONNXOperator, _ i: Int) throws {
        switch op {
        case .leakyRelu:
            let a = try floatAttribute(i, "alpha", default: 0.01)
            if a == Float(0.2) { appendActivation(.leakyRelu) } else { append(.leakyReLU(negativeSlope: Double(a))) }
        case .elu:
            let a = try floatAttribute(i, "alpha", default: 1)
            if a == 1 { appendActivation(.elu) } else { append(.elu(alpha: Double(a))) }
        case .selu:
            let a = try floatAttribute(i, "alpha", default: 1.67326319217681884765625)
            let g = try floatAttribute(i, "gamma", default: 1.05070102214813232421875)
            guard abs(Double(a) - ActivationName.seluAlpha) < 1e-6, abs(Double(g) - ActivationName.seluScale) < 1e-6 else {
                throw unsupported(i, "Selu with alpha \(a), gamma \(g); nnkit's selu has Keras' alpha 1.6732632, gamma 1.0507010")
            }
            appendActivation(.selu)
        case .hardSigmoid:
            let a = try floatAttribute(i, "alpha", default: 0.2), b = try floatAttribute(i, "beta", default: 0.5)
            guard abs(a - 1.0 / 6.0) <= 1e-7, b == 0.5 else {
                throw unsupported(i, "HardSigmoid with alpha \(a), beta \(b); nnkit's hard_sigmoid is Keras 3's (alpha 1/6, beta 0.5)")
            }
            appendActivation(.hardSigmoid)
        case .thresholdedRelu:
            let a = try floatAttribute(i, "alpha", default: 1)
            append(.relu(ReLU(maxValue: nil, negativeSlope: 0, threshold: Double(a))))
        case .clip:
            let lo = try scalar(i, input: 1, what: "min"), hi = try scalar(i, input: 2, what: "max")
            switch (lo, hi) {
            case (0?, 6?): appendActivation(.relu6)
            case (0?, nil): appendActivation(.relu)
            case (0?, let m?) where m > 0: append(.relu(ReLU(maxValue: Double(m))))
            default:
                throw unsupported(i, "Clip to [\(lo.map { "\($0)" } ?? "-inf"), \(hi.map { "\($0)" } ?? "inf")]; supported: min 0 with max 6 (relu6), another positive max (ReLU max_value) or none (relu)")
            }
        case .gelu:
            var approximate = "none"
            if case .string(let s)? = node(i).attribute("approximate") { approximate = String(decoding: s, as: UTF8.self) }
            guard approximate == "none" else { throw unsupported(i, "Gelu with approximate = \"\(approximate)\"; nnkit's gelu is the exact one (approximate = \"none\")") }
            appendActivation(.gelu)
        case .softmax, .logSoftmax:
            let axis = try intAttribute(i, "axis", default: opset >= 13 ? -1 : 1)
            guard axis == -1 || axis == 1 else { throw unsupported(i, "\(op.rawValue) on axis \(axis); on [batch, features] only the last axis (-1 or 1) is read") }
            appendActivation(op == .softmax ? .softmax : .logSoftmax)
        case .batchNormalization:
            let n = node(i)
            guard n.inputs.count == 5 else { throw unsupported(i, "BatchNormalization needs 5 inputs (X, scale, B, mean, var)") }
            guard try intAttribute(i, "training_mode", default: 0) == 0 else { throw unsupported(i, "training_mode = 1; only inference-mode BatchNormalization is read") }
            guard let w = width else { throw unsupported(i, "the feature count is unknown before BatchNormalization") }
            let eps = try floatAttribute(i, "epsilon", default: 1e-5), momentum = try floatAttribute(i, "momentum", default: 0.9)
            guard eps > 0 else { throw unsupported(i, "epsilon \(eps); expected > 0") }
            let names = ["gamma", "beta", "moving_mean", "moving_variance"]
            var ts: [(String, [Int], [Float])] = []
            for (k, name) in names.enumerated() {
                let dims = constants[n.inputs[k + 1]]?.dims ?? []
                guard dims == [w] else { throw unsupported(i, "its \(name) input \"\(n.inputs[k + 1])\" has shape \(dims); expected [\(w)]") }
                ts.append((name, [w], try perFeature(n.inputs[k + 1], node: i, what: name, width: w)))
            }
            append(.batchNormalization(BatchNormalization(momentum: Double(momentum), epsilon: Double(eps), center: true, scale: true)), tensors: ts)
        case .sub:
            throw unsupported(i, "Sub is read only as (x − mean) / std followed by Div (a Normalization layer)")
        case .gemm, .matMul, .add, .mul, .div, .relu, .tanh, .sigmoid, .softplus, .softsign, .hardSwish, .mish, .exp, .erf,
             .identity, .dropout, .cast, .flatten, .reshape, .constant:
            throw unsupported(i, "\(op.rawValue) needs configuration nnkit does not read")  // unreachable: see ``ONNXOperator/lowering``
        }
    }

    // MARK: - Composites

    /// Tries the multi-node activations and layers at chain value `v` whose unconsumed readers are
    /// `open`; on a match consumes the nodes, appends the layer and returns the new chain value.
    mutating func lowerComposite(_ v: String, readers open: [Int]) throws -> String? {
        if open.count == 2 {
            for (a, b) in [(open[0], open[1]), (open[1], open[0])] {
                let first = node(a)
                guard first.domain.isEmpty, first.inputs.first == v, first.outputs.count >= 1 else { continue }
                let o = first.outputs[0]
                switch first.opType {
                case "Sigmoid" where isMul(b, v, o) && soleReader(o) == b:
                    // silu: x · Sigmoid(x)
                    consume([a, b]); appendActivation(.silu); return node(b).outputs[0]
                case "Softplus":
                    // mish: x · Tanh(Softplus(x))
                    if let t = soleReader(o), node(t).opType == "Tanh", node(t).domain.isEmpty, let to = node(t).outputs.first,
                       isMul(b, v, to), soleReader(to) == b {
                        consume([a, t, b]); appendActivation(.mish); return node(b).outputs[0]
                    }
                case "HardSigmoid" where isMul(b, v, o) && soleReader(o) == b:
                    let al = try floatAttribute(a, "alpha", default: 0.2), be = try floatAttribute(a, "beta", default: 0.5)
                    if abs(al - 1.0 / 6.0) <= 1e-7, be == 0.5 { consume([a, b]); appendActivation(.hardSilu); return node(b).outputs[0] }
                case "Add":
                    // hard_silu: x · (relu6(x + 3) / 6)
                    if let h = hardSigmoidChain(from: a, v), isMul(b, v, h.out), soleReader(h.out) == b {
                        consume(h.nodes + [b]); appendActivation(.hardSilu); return node(b).outputs[0]
                    }
                case "Div", "Mul":
                    // gelu: (x · (Erf(x / √2) + 1)) · 0.5, as torch.onnx writes it below opset 20
                    let scaled = first.opType == "Div" ? isBinary(a, "Div", v, constant: Float(2.0.squareRoot()), tol: 1e-6, commutes: false)
                                                       : isBinary(a, "Mul", v, constant: Float(0.5.squareRoot()), tol: 1e-6)
                    guard scaled, let e = soleReader(o), node(e).opType == "Erf", let eo = node(e).outputs.first,
                          let p = soleReader(eo), isBinary(p, "Add", eo, constant: 1), let po = node(p).outputs.first,
                          isMul(b, v, po), soleReader(po) == b, let bo = node(b).outputs.first,
                          let h = soleReader(bo), isBinary(h, "Mul", bo, constant: 0.5) else { break }
                    consume([a, e, p, b, h]); appendActivation(.gelu); return node(h).outputs[0]
                case "Relu", "ThresholdedRelu":
                    if let r = try generalReLU(v, a, b) { return r }
                default:
                    break
                }
            }
        }
        if open.count == 1 {
            let a = open[0]
            // hard_sigmoid: relu6(x + 3) / 6
            if let h = hardSigmoidChain(from: a, v) {
                consume(h.nodes); appendActivation(.hardSigmoid); return h.out
            }
            if let out = try lowerScaler(v, a) { return out }
            // Normalization: (x − mean) / std
            if node(a).opType == "Sub", node(a).domain.isEmpty, node(a).inputs.count == 2, node(a).inputs[0] == v,
               constants[node(a).inputs[1]] != nil, let so = node(a).outputs.first, let d = soleReader(so),
               node(d).opType == "Div", node(d).domain.isEmpty, node(d).inputs.count == 2, node(d).inputs[0] == so,
               constants[node(d).inputs[1]] != nil, let w = width {
                let mean = try perFeature(node(a).inputs[1], node: a, what: "mean", width: w)
                let std = try perFeature(node(d).inputs[1], node: d, what: "standard deviation", width: w)
                guard std.allSatisfy({ $0 > 0 && $0.isFinite }) else { throw unsupported(d, "a standard deviation is not positive and finite") }
                consume([a, d])
                // sqrt(std²) == std exactly in IEEE arithmetic (no under/overflow for normal std), so the
                // runtime's max(sqrt(variance), epsilon) with epsilon 0 divides by std itself.
                append(.normalization(Normalization(epsilon: 0)),
                       tensors: [("mean", [w], mean), ("variance", [w], std.map { $0 * $0 }), ("count", [], [1])])
                return node(d).outputs[0]
            }
        }
        return nil
    }

    /// scikit-learn's scalers in front of a pipeline's MLP, as skl2onnx writes them: `ai.onnx.ml`
    /// `Scaler(offset, scale)`, `y = (x − offset)·scale` (StandardScaler, RobustScaler, MaxAbsScaler),
    /// and `Mul(x, c)` optionally followed by `Add(·, d)`, `y = x·c + d` (MinMaxScaler). Both become a
    /// Normalization layer, `(x − mean) / std`, with `std = 1/scale` (`1/c`) and `mean = offset`
    /// (`−d/c`), rounded once from float64 to float32; the results equal onnxruntime's up to float32
    /// rounding (a few ulp of the scaled value, or of `d` for MinMaxScaler). Scales must be positive
    /// and finite. Returns nil when node `a` is neither form.
    mutating func lowerScaler(_ v: String, _ a: Int) throws -> String? {
        let n = node(a)
        if n.opType == "Scaler", n.domain == "ai.onnx.ml", n.inputs.count == 1, n.inputs[0] == v {
            func floatList(_ name: String) throws -> [Float]? {
                switch n.attribute(name) {
                case nil: return nil
                case .floats(let f)?: return f
                case let other?: throw unsupported(a, "attribute \(name) has type \(other.typeNumber); expected floats")
                }
            }
            let offset = try floatList("offset") ?? [0], scale = try floatList("scale") ?? [1]
            if width == nil, offset.count > 1 || scale.count > 1 { width = max(offset.count, scale.count) }
            guard let w = width else { throw unsupported(a, "the feature count is unknown before Scaler") }
            for (name, list) in [("offset", offset), ("scale", scale)] where list.count != 1 && list.count != w {
                throw unsupported(a, "its \(name) has \(list.count) values; expected 1 or \(w) (one per feature)")
            }
            let mean = (0..<w).map { offset.count == 1 ? offset[0] : offset[$0] }
            let c = (0..<w).map { scale.count == 1 ? scale[0] : scale[$0] }
            _ = try chainStep(a, value: v)
            try appendScaling(mean: mean, scale: c, node: a)
            return n.outputs[0]
        }
        // MinMaxScaler: Mul(x, c) [→ Add(·, d)]
        guard n.opType == "Mul", n.domain.isEmpty, n.inputs.count == 2, n.inputs.contains(v), let w = width else { return nil }
        let cName = n.inputs[0] == v ? n.inputs[1] : n.inputs[0]
        guard cName != v, constants[cName] != nil, let mo = n.outputs.first else { return nil }
        let c = try perFeature(cName, node: a, what: "scale", width: w)
        var nodes = [a], out = mo, d = [Float](repeating: 0, count: w)
        if let b = soleReader(mo), node(b).opType == "Add", node(b).domain.isEmpty, node(b).inputs.count == 2, node(b).inputs.contains(mo) {
            let dName = node(b).inputs[0] == mo ? node(b).inputs[1] : node(b).inputs[0]
            if dName != mo, constants[dName] != nil, let bo = node(b).outputs.first {
                d = try perFeature(dName, node: b, what: "offset", width: w)
                nodes.append(b)
                out = bo
            }
        }
        guard c.allSatisfy({ $0 > 0 && $0.isFinite }) else {
            throw unsupported(a, "Mul by a constant is read only as a scaler with positive finite factors (y = x·c + d, scikit-learn's MinMaxScaler)")
        }
        let mean = zip(d, c).map { Float(-Double($0) / Double($1)) }
        consume(nodes)
        try appendScaling(mean: mean, scale: c, node: a)
        return out
    }

    /// Appends `(x − mean)·scale` as a Normalization layer (`std = 1/scale`, epsilon 0, count 1).
    mutating func appendScaling(mean: [Float], scale: [Float], node a: Int) throws {
        let std = scale.map { Float(1 / Double($0)) }
        guard scale.allSatisfy({ $0 > 0 && $0.isFinite }), std.allSatisfy({ ($0 * $0).isNormal }), mean.allSatisfy(\.isFinite) else {
            throw unsupported(a, "a scale is not positive and finite (or 1/scale squared leaves float32's normal range), or an offset is not finite")
        }
        consumed[a] = true
        append(.normalization(Normalization(epsilon: 0)),
               tensors: [("mean", [mean.count], mean), ("variance", [std.count], std.map { $0 * $0 }), ("count", [], [1])])
    }

    /// `Add(x, 3) → Clip(0, 6) → Div(6)` starting at node `a` reading `v`: its nodes and output.
    func hardSigmoidChain(from a: Int, _ v: String) -> (nodes: [Int], out: String)? {
        guard isBinary(a, "Add", v, constant: 3), let ao = node(a).outputs.first, let c = soleReader(ao),
              node(c).opType == "Clip", node(c).domain.isEmpty, node(c).inputs.first == ao, node(c).inputs.count == 3,
              let lo = constants[node(c).inputs[1]].flatMap({ try? $0.floatValues() }), lo == [0],
              let hi = constants[node(c).inputs[2]].flatMap({ try? $0.floatValues() }), hi == [6],
              let co = node(c).outputs.first, let d = soleReader(co), isBinary(d, "Div", co, constant: 6, commutes: false),
              let out = node(d).outputs.first else { return nil }
        return ([a, c, d], out)
    }

    /// Keras' `ReLU` layer with a negative slope, as its ONNX form (``LayerKind/onnx``)
    /// writes it: `a = Relu(x)` or `ThresholdedRelu(x)`, optionally `Clip(a, 0, max)`, then
    /// `a − Relu(threshold − x)·slope`. `r` is the Relu/ThresholdedRelu node, `s` the `Sub(threshold, x)`.
    mutating func generalReLU(_ v: String, _ r: Int, _ s: Int) throws -> String? {
        guard node(s).opType == "Sub", node(s).domain.isEmpty, node(s).inputs.count == 2, node(s).inputs[1] == v,
              let th = constants[node(s).inputs[0]].flatMap({ try? $0.floatValues() }), th.count == 1,
              let so = node(s).outputs.first, let nr = soleReader(so), node(nr).opType == "Relu", let nro = node(nr).outputs.first,
              let m = soleReader(nro), node(m).opType == "Mul", node(m).inputs.count == 2, node(m).inputs[0] == nro,
              let slope = constants[node(m).inputs[1]].flatMap({ try? $0.floatValues() }), slope.count == 1, slope[0] != 0,
              let mo = node(m).outputs.first, let final = soleReader(mo), node(final).opType == "Sub", node(final).inputs.count == 2,
              node(final).inputs[1] == mo, let ro = node(r).outputs.first else { return nil }
        let threshold: Float = node(r).opType == "Relu" ? 0 : try floatAttribute(r, "alpha", default: 1)
        guard threshold == th[0] else { return nil }
        var nodes = [r, s, nr, m, final]
        var maxValue: Double?
        if node(final).inputs[0] != ro {
            guard let c = soleReader(ro), node(c).opType == "Clip", node(c).inputs.count == 3, node(c).inputs[0] == ro,
                  constants[node(c).inputs[1]].flatMap({ try? $0.floatValues() }) == [0],
                  let hi = constants[node(c).inputs[2]].flatMap({ try? $0.floatValues() }), hi.count == 1,
                  let co = node(c).outputs.first, node(final).inputs[0] == co else { return nil }
            nodes.append(c)
            maxValue = Double(hi[0])
        }
        consume(nodes)
        append(.relu(ReLU(maxValue: maxValue, negativeSlope: Double(slope[0]), threshold: Double(threshold))))
        return node(final).outputs[0]
    }

    mutating func consume(_ nodes: [Int]) { for k in nodes { consumed[k] = true } }
}
