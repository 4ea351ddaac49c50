import Format

/// An activation function with its options, computed exactly as Keras 3 (TensorFlow backend) does.
///
/// Element-wise except ``Kind/softmax`` and ``Kind/logSoftmax``, which act on each row (the last
/// axis). Each case's forward value is one branch of ``forward(_:_:rows:cols:bias:)`` and its local
/// derivative the branch of the same case in ``backward(x:y:dy:dx:rows:cols:)`` (for the row-wise
/// ones, the Jacobian-vector product); both switches list the cases in the same order.
///
/// Definitions (Keras 3.15 `keras/src/activations/activations.py`, `backend/tensorflow/nn.py`):
/// - `relu` = max(x, 0); `relu6` = min(max(x, 0), 6); `leakyRelu(s)` = x > 0 ? x : s·x (Keras default s = 0.2);
/// - `elu(α)` = x > 0 ? x : α·(eˣ − 1); `selu` = λ·elu(x, α) with α ≈ 1.6732632, λ ≈ 1.0507010;
/// - `gelu` = ½·x·erfc(−x/√2) (Keras' default `approximate=False`, TensorFlow's erfc form);
/// - `silu` = x·σ(x); `mish` = x·tanh(softplus(x)); `softplus` = max(x, 0) + log1p(e^−|x|);
/// - `softsign` = x / (1 + |x|); `sigmoid` = σ(x), evaluated without overflow on either side;
/// - `hardSigmoid` = relu6(x + 3) / 6; `hardSilu` = x·hardSigmoid(x); `exponential` = eˣ;
/// - `softmax` = e^(x−max) / Σ e^(x−max); `logSoftmax` = x − max − log Σ e^(x−max);
/// - `relu(ReLU)`: Keras' `ReLU` layer / `activations.relu(x, negative_slope, max_value, threshold)`, see ``reluLayer(_:_:)``.
///
/// NaN inputs give NaN outputs. Infinite inputs give Keras' values where Keras' are finite
/// (σ(±∞) = 1/0, softplus(−∞) = 0, elu(−∞) = −α); products such as silu(−∞) = −∞·0 are NaN in
/// Keras and here.
public struct ActivationFunction: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case linear, relu, relu6
        case leakyRelu(negativeSlope: Double)
        case elu(alpha: Double)
        case selu, gelu, silu, mish, softplus, softsign, tanh, sigmoid, hardSigmoid, hardSilu, exponential
        case softmax, logSoftmax
        /// Keras' general ReLU with `max_value`, `negative_slope` and `threshold`.
        case reluLayer(ReLU)
    }

    public var kind: Kind

    public init(kind: Kind) { self.kind = kind }

    /// The activation a layer names, with Keras' default options (`leaky_relu` slope 0.2, `elu` alpha 1).
    public init(_ name: ActivationName) {
        switch name {
        case .linear: kind = .linear
        case .relu: kind = .relu
        case .relu6: kind = .relu6
        case .leakyRelu: kind = .leakyRelu(negativeSlope: 0.2)
        case .elu: kind = .elu(alpha: 1)
        case .selu: kind = .selu
        case .gelu: kind = .gelu
        case .silu: kind = .silu
        case .mish: kind = .mish
        case .softplus: kind = .softplus
        case .softsign: kind = .softsign
        case .tanh: kind = .tanh
        case .sigmoid: kind = .sigmoid
        case .hardSigmoid: kind = .hardSigmoid
        case .hardSilu: kind = .hardSilu
        case .exponential: kind = .exponential
        case .softmax: kind = .softmax
        case .logSoftmax: kind = .logSoftmax
        }
    }

    /// Whether this is the identity (then layers skip it and keep no pre-activation copy).
    public var isLinear: Bool { kind == .linear }

    /// Whether this is softmax or sigmoid: the activations whose inputs Keras' cross-entropies use
    /// as logits (`_keras_logits`, see ``Loss``).
    var isLogitsActivation: Bool { kind == .softmax || kind == .sigmoid }

    /// Rough cost of one output element in flop-equivalents, for deciding whether a batch is worth
    /// splitting over threads. Measured (float32, release, one thread, a 256-wide Dense layer at
    /// batch 1024, minus the same layer linear) against ≈ 0.010 ns per GEMM flop: piecewise-linear
    /// and softsign 0.05-0.2 ns; the 8-lane ``vectorExp(_:)`` ones (sigmoid, silu, exponential)
    /// ≈ 1.5 ns, softmax and log-softmax ≈ 3 ns; those calling libm per element: gelu (erfc)
    /// ≈ 7.5 ns, elu, selu (expm1) and softplus (log1p) ≈ 10 ns, tanh ≈ 15 ns, mish ≈ 36 ns.
    var costPerElement: Int {
        switch kind {
        case .linear: 0
        case .relu, .relu6, .leakyRelu, .hardSigmoid, .hardSilu, .softsign, .reluLayer: 10
        case .sigmoid, .silu, .exponential: 150
        case .softmax, .logSoftmax: 300
        case .gelu: 750
        case .elu, .selu, .softplus: 1000
        case .tanh: 1500
        case .mish: 3500
        }
    }

    // MARK: - Public matrix forms

    /// The activation of every element (softmax variants: of every row) of `x`.
    public func callAsFunction(_ x: Matrix) -> Matrix {
        var y = x
        x.values.withUnsafeBufferPointer { src in
            y.values.withUnsafeMutableBufferPointer { dst in
                forward(src.baseAddress!, dst.baseAddress!, rows: x.rows, cols: x.cols)
            }
        }
        return y
    }

    /// dLoss/dx given the input `x`, its activation `y = self(x)` and the upstream gradient dLoss/dy.
    public func gradient(input x: Matrix, output y: Matrix, upstream dy: Matrix) -> Matrix {
        var dx = dy
        x.values.withUnsafeBufferPointer { xp in
            y.values.withUnsafeBufferPointer { yp in
                dy.values.withUnsafeBufferPointer { dyp in
                    dx.values.withUnsafeMutableBufferPointer { dxp in
                        backward(x: xp.baseAddress!, y: yp.baseAddress!, dy: dyp.baseAddress!, dx: dxp.baseAddress!, rows: x.rows, cols: x.cols)
                    }
                }
            }
        }
        return dx
    }

    // MARK: - Kernels

    /// Writes `f(src + bias)` to `dst` for a `rows × cols` block; `dst` may equal `src`.
    /// - Parameter bias: `[cols]` added to every row before the activation (in the same float
    ///   operation order as adding it first and activating after), or nil.
    func forward<T: RuntimeScalar>(_ src: UnsafePointer<T>, _ dst: UnsafeMutablePointer<T>, rows: Int, cols: Int, bias: UnsafePointer<T>? = nil) {
        switch kind {
        case .linear:
            if bias != nil {
                Self.map(src, dst, rows, cols, bias) { x in x }
            } else if UnsafePointer(dst) != src {
                dst.update(from: src, count: rows * cols)
            }
        case .relu:
            Self.map(src, dst, rows, cols, bias) { x in x < 0 ? 0 : x }
        case .relu6:
            Self.map(src, dst, rows, cols, bias) { x in x < 0 ? 0 : (x > 6 ? 6 : x) }
        case .leakyRelu(let s):
            let s = T(s)
            Self.map(src, dst, rows, cols, bias) { x in x > 0 ? x : s * x }
        case .elu(let a):
            let a = T(a)
            Self.map(src, dst, rows, cols, bias) { x in x > 0 ? x : a * T.expm1(x) }
        case .selu:
            let a = T(Self.seluAlpha), l = T(Self.seluScale)
            Self.map(src, dst, rows, cols, bias) { x in x > 0 ? l * x : l * a * T.expm1(x) }
        case .gelu:
            let r = T(Self.sqrtHalf)
            Self.map(src, dst, rows, cols, bias) { x in T(0.5) * x * T.erfc(-x * r) }
        case .silu:
            Self.mapExp(src, dst, rows, cols, bias, pre: { x in -abs(x) }) { x, e in x * Self.sigmoid(x, expMinusAbs: e) }
        case .mish:
            Self.mapExp(src, dst, rows, cols, bias, pre: { x in -abs(x) }) { x, e in x * T.tanh(Self.softplus(x, expMinusAbs: e)) }
        case .softplus:
            Self.mapExp(src, dst, rows, cols, bias, pre: { x in -abs(x) }) { x, e in Self.softplus(x, expMinusAbs: e) }
        case .softsign:
            Self.map(src, dst, rows, cols, bias) { x in x / (1 + abs(x)) }
        case .tanh:
            Self.map(src, dst, rows, cols, bias) { x in T.tanh(x) }
        case .sigmoid:
            Self.mapExp(src, dst, rows, cols, bias, pre: { x in -abs(x) }) { x, e in Self.sigmoid(x, expMinusAbs: e) }
        case .hardSigmoid:
            Self.map(src, dst, rows, cols, bias) { x in Self.hardSigmoid(x) }
        case .hardSilu:
            Self.map(src, dst, rows, cols, bias) { x in x * Self.hardSigmoid(x) }
        case .exponential:
            Self.mapExp(src, dst, rows, cols, bias, pre: { x in x }) { _, e in e }
        case .softmax:
            var src = src
            if bias != nil { Self.map(src, dst, rows, cols, bias) { x in x }; src = UnsafePointer(dst) }
            Self.shiftRowsByMax(src, dst, rows: rows, cols: cols)
            T.expInPlace(dst, count: rows * cols)
            for r in 0..<rows {
                let d = dst + r * cols
                var sum: T = 0
                for c in 0..<cols { sum += d[c] }
                let inv = 1 / sum
                for c in 0..<cols { d[c] *= inv }
            }
        case .logSoftmax:
            var src = src
            if bias != nil { Self.map(src, dst, rows, cols, bias) { x in x }; src = UnsafePointer(dst) }
            // e^(x − max) of up to 1024 elements (whole rows when cols ≤ 1024) at a time in a copy;
            // each row's sum in column order, then log and subtract.
            Self.shiftRowsByMax(src, dst, rows: rows, cols: cols)
            let rowsPerBlock = cols == 0 ? 1 : max(1, 1024 / cols)
            withUnsafeTemporaryAllocation(of: T.self, capacity: max(1024, cols)) { tmp in
                let t = tmp.baseAddress!
                var r0 = 0
                while r0 < rows {
                    let g = min(rowsPerBlock, rows - r0)
                    let block = dst + r0 * cols
                    t.update(from: block, count: g * cols)
                    T.expInPlace(t, count: g * cols)
                    for r in 0..<g {
                        let e = t + r * cols, d = block + r * cols
                        var sum: T = 0
                        for c in 0..<cols { sum += e[c] }
                        let lse = T.log(sum)
                        for c in 0..<cols { d[c] -= lse }
                    }
                    r0 += g
                }
            }
        case .reluLayer(let cfg):
            Self.map(src, dst, rows, cols, bias) { x in Self.reluLayer(x, cfg) }
        }
    }

    /// Writes dLoss/dx to `dx` from the input `x`, output `y` and upstream `dy` of a `rows × cols`
    /// block; `dx` may equal `dy` (but not `x` or `y`).
    func backward<T: RuntimeScalar>(x: UnsafePointer<T>, y: UnsafePointer<T>, dy: UnsafePointer<T>, dx: UnsafeMutablePointer<T>, rows: Int, cols: Int) {
        let n = rows * cols
        switch kind {
        case .linear:
            if UnsafePointer(dx) != dy { dx.update(from: dy, count: n) }
        case .relu:
            Self.zip(x, dy, dx, n) { x, d in x > 0 ? d : 0 }
        case .relu6:
            Self.zip(x, dy, dx, n) { x, d in (x > 0 && x < 6) ? d : 0 }
        case .leakyRelu(let s):
            let s = T(s)
            Self.zip(x, dy, dx, n) { x, d in x > 0 ? d : s * d }
        case .elu(let a):
            // d/dx α(eˣ − 1) = α·eˣ = y + α.
            let a = T(a)
            Self.zip(x, y, dy, dx, n) { x, y, d in x > 0 ? d : d * (y + a) }
        case .selu:
            let a = T(Self.seluAlpha), l = T(Self.seluScale)
            Self.zip(x, y, dy, dx, n) { x, y, d in x > 0 ? l * d : d * (y + l * a) }
        case .gelu:
            // d/dx ½x·erfc(−x/√2) = ½erfc(−x/√2) + x·φ(x), φ the standard normal density.
            let r = T(Self.sqrtHalf), c = T(Self.invSqrt2Pi)
            Self.zip(x, dy, dx, n) { v, d in d * (T(0.5) * T.erfc(-v * r) + v * c * T.exp(T(-0.5) * v * v)) }
        case .silu:
            // d/dx x·σ(x) = σ(x)·(1 + x·(1 − σ(x))).
            Self.zip(x, dy, dx, n) { v, d in let s = Self.sigmoid(v); return d * (s * (1 + v * (1 - s))) }
        case .mish:
            // d/dx x·tanh(sp(x)) = tanh(sp) + x·(1 − tanh²(sp))·σ(x).
            Self.zip(x, dy, dx, n) { v, d in
                let t = T.tanh(Self.softplus(v))
                return d * (t + v * (1 - t * t) * Self.sigmoid(v))
            }
        case .softplus:
            Self.zip(x, dy, dx, n) { v, d in d * Self.sigmoid(v) }
        case .softsign:
            Self.zip(x, dy, dx, n) { v, d in let q = 1 + abs(v); return d / (q * q) }
        case .tanh:
            Self.zip(y, dy, dx, n) { y, d in d * (1 - y * y) }
        case .sigmoid:
            Self.zip(y, dy, dx, n) { y, d in d * (y * (1 - y)) }
        case .hardSigmoid:
            Self.zip(x, dy, dx, n) { v, d in (v > -3 && v < 3) ? d / 6 : 0 }
        case .hardSilu:
            Self.zip(x, dy, dx, n) { v, d in d * (Self.hardSigmoid(v) + ((v > -3 && v < 3) ? v / 6 : 0)) }
        case .exponential:
            Self.zip(y, dy, dx, n) { y, d in d * y }
        case .softmax:
            // dx = y ⊙ (dy − ⟨dy, y⟩).
            for r in 0..<rows {
                let o = r * cols
                var dot: T = 0
                for c in 0..<cols { dot += dy[o + c] * y[o + c] }
                for c in 0..<cols { dx[o + c] = y[o + c] * (dy[o + c] - dot) }
            }
        case .logSoftmax:
            // dx = dy − softmax(x)·Σdy, softmax(x) = e^y.
            for r in 0..<rows {
                let o = r * cols
                var sum: T = 0
                for c in 0..<cols { sum += dy[o + c] }
                for c in 0..<cols { dx[o + c] = dy[o + c] - T.exp(y[o + c]) * sum }
            }
        case .reluLayer(let cfg):
            Self.zip(x, dy, dx, n) { v, d in d * Self.reluLayerDerivative(v, cfg) }
        }
    }

    // MARK: - Loop drivers
    //
    // Every element-wise kernel goes through these so that its loop vectorises where the function
    // allows (the piecewise-linear ones): operands are loaded unconditionally (a `x > 0 ? dy[i] : 0`
    // written inline loads `dy[i]` only on one branch, which LLVM keeps as a branch per element),
    // and the in-place case (`dst == src`, `dx == dy`, as Dense uses them) has its own loop, since
    // LLVM's overlap check for two distinct pointers fails when they are equal and falls back to the
    // scalar loop; and where the new value may equal the old one (`p[i] = c ? p[i] : 0`) the in-place
    // loop reads from a copy (``inPlaceBlocks``), else LLVM makes it a conditional store per element;
    // and indices inside the loops are plain `k` on offset pointers (an overflow-checked `i + k`
    // stops vectorisation).

    /// `dst = f(src + bias)` row by row (`bias` nil: `f(src)`); `dst` may equal `src`.
    @inline(__always)
    static func map<T: RuntimeScalar>(_ src: UnsafePointer<T>, _ dst: UnsafeMutablePointer<T>, _ rows: Int, _ cols: Int,
                                      _ bias: UnsafePointer<T>?, _ f: (T) -> T) {
        let inPlace = UnsafePointer(dst) == src
        guard let bias else {
            let n = rows * cols
            if inPlace {
                Self.inPlaceBlocks(dst, n) { t, i, m in let o = dst + i; for k in 0..<m { o[k] = f(t[k]) } }
            } else {
                for i in 0..<n { dst[i] = f(src[i]) }
            }
            return
        }
        if !inPlace {
            for r in 0..<rows {
                let s = src + r * cols, d = dst + r * cols
                for j in 0..<cols { d[j] = f(s[j] + bias[j]) }
            }
            return
        }
        withUnsafeTemporaryAllocation(of: T.self, capacity: min(cols, 1024)) { tmp in
            let t = tmp.baseAddress!
            for r in 0..<rows {
                var j = 0
                while j < cols {
                    let m = min(1024, cols - j)
                    let o = dst + r * cols + j, b = bias + j
                    t.update(from: o, count: m)
                    for k in 0..<m { o[k] = f(t[k] + b[k]) }
                    j += m
                }
            }
        }
    }

    /// `dst = post(v, exp(pre(v)))` with `v = src + bias` (`bias` `[cols]` added to every row, or
    /// nil: `v = src`); `dst` may equal `src`. The exponentials of each block of up to 1024
    /// consecutive elements (across rows, so that narrow layers also fill 8-lane blocks) are taken
    /// together by ``RuntimeScalar/expInPlace(_:count:)`` (8 lanes at a time in `Float`); `pre`
    /// and `post` hold the rest of the formula.
    @inline(__always)
    static func mapExp<T: RuntimeScalar>(_ src: UnsafePointer<T>, _ dst: UnsafeMutablePointer<T>, _ rows: Int, _ cols: Int,
                                         _ bias: UnsafePointer<T>?, pre: (T) -> T, _ post: (T, T) -> T) {
        let n = rows * cols
        withUnsafeTemporaryAllocation(of: T.self, capacity: 2048) { tmp in
            let xs = tmp.baseAddress!, es = xs + 1024
            var i = 0
            while i < n {
                let m = min(1024, n - i)
                let s = src + i, d = dst + i
                if let bias {
                    var k = 0, c = i % cols
                    while k < m {
                        let run = min(cols - c, m - k)
                        let o = xs + k, u = s + k, b = bias + c
                        for q in 0..<run { o[q] = u[q] + b[q] }
                        k += run
                        c = 0
                    }
                } else {
                    xs.update(from: s, count: m)
                }
                for k in 0..<m { es[k] = pre(xs[k]) }
                T.expInPlace(es, count: m)
                for k in 0..<m { d[k] = post(xs[k], es[k]) }
                i += m
            }
        }
    }

    /// `dst[r, c] = src[r, c] − max_c src[r, c]` (the max taken as 0 when it is NaN or the row is
    /// empty), for softmax and log-softmax; `dst` may equal `src`.
    @inline(__always)
    static func shiftRowsByMax<T: RuntimeScalar>(_ src: UnsafePointer<T>, _ dst: UnsafeMutablePointer<T>, rows: Int, cols: Int) {
        for r in 0..<rows {
            let s = src + r * cols, d = dst + r * cols
            var m = -T.infinity
            for c in 0..<cols where s[c] > m { m = s[c] }
            if m.isNaN || cols == 0 { m = 0 }
            for c in 0..<cols { d[c] = s[c] - m }
        }
    }

    /// `dx = f(a, dy)` element-wise; `dx` may equal `dy` (not `a`).
    @inline(__always)
    static func zip<T: RuntimeScalar>(_ a: UnsafePointer<T>, _ dy: UnsafePointer<T>, _ dx: UnsafeMutablePointer<T>, _ n: Int, _ f: (T, T) -> T) {
        if UnsafePointer(dx) == dy {
            Self.inPlaceBlocks(dx, n) { t, i, m in let o = dx + i, u = a + i; for k in 0..<m { o[k] = f(u[k], t[k]) } }
        } else {
            for i in 0..<n { dx[i] = f(a[i], dy[i]) }
        }
    }

    /// For an in-place update of `p[0..<n]`: hands `body` a copy of each block of up to 1024
    /// elements (`body(copy, start, count)`), so that it reads the old values from a buffer that
    /// is visibly distinct from `p`. Reading and writing `p` itself, LLVM turns `p[i] = c ? p[i] : 0`
    /// into a conditional store per element, which does not vectorise.
    @inline(__always)
    static func inPlaceBlocks<T: RuntimeScalar>(_ p: UnsafeMutablePointer<T>, _ n: Int, _ body: (UnsafePointer<T>, Int, Int) -> Void) {
        withUnsafeTemporaryAllocation(of: T.self, capacity: 1024) { tmp in
            let t = tmp.baseAddress!
            var i = 0
            while i < n {
                let m = min(1024, n - i)
                t.update(from: p + i, count: m)
                body(UnsafePointer(t), i, m)
                i += m
            }
        }
    }

    /// `dx = f(x, y, dy)` element-wise; `dx` may equal `dy` (not `x` or `y`).
    @inline(__always)
    static func zip<T: RuntimeScalar>(_ x: UnsafePointer<T>, _ y: UnsafePointer<T>, _ dy: UnsafePointer<T>, _ dx: UnsafeMutablePointer<T>,
                                      _ n: Int, _ f: (T, T, T) -> T) {
        if UnsafePointer(dx) == dy {
            Self.inPlaceBlocks(dx, n) { t, i, m in let o = dx + i, u = x + i, v = y + i; for k in 0..<m { o[k] = f(u[k], v[k], t[k]) } }
        } else {
            for i in 0..<n { dx[i] = f(x[i], y[i], dy[i]) }
        }
    }

    // MARK: - Scalar pieces

    static let seluAlpha = 1.6732632423543772848170429916717
    static let seluScale = 1.0507009873554804934193349852946
    static let sqrtHalf = 0.7071067811865476
    static let invSqrt2Pi = 0.3989422804014327

    /// σ(x) without overflow: 1/(1+e^−x) for x ≥ 0, eˣ/(1+eˣ) otherwise.
    @inline(__always) static func sigmoid<T: RuntimeScalar>(_ x: T) -> T {
        sigmoid(x, expMinusAbs: T.exp(-abs(x)))
    }

    /// σ(x) as ``sigmoid(_:)`` given `e = exp(−|x|)` (e^−x for x ≥ 0, eˣ otherwise).
    @inline(__always) static func sigmoid<T: RuntimeScalar>(_ x: T, expMinusAbs e: T) -> T {
        x >= 0 ? 1 / (1 + e) : e / (1 + e)
    }

    /// log(1 + eˣ) = max(x, 0) + log1p(e^−|x|), finite for every finite x.
    @inline(__always) static func softplus<T: RuntimeScalar>(_ x: T) -> T {
        softplus(x, expMinusAbs: T.exp(-abs(x)))
    }

    /// ``softplus(_:)`` given `e = exp(−|x|)`.
    @inline(__always) static func softplus<T: RuntimeScalar>(_ x: T, expMinusAbs e: T) -> T {
        (x > 0 ? x : 0) + T.log1p(e)
    }

    /// relu6(x + 3) / 6.
    @inline(__always) static func hardSigmoid<T: RuntimeScalar>(_ x: T) -> T {
        let v = x + 3
        return (v < 0 ? 0 : (v > 6 ? 6 : v)) / 6
    }

    /// Keras 3 `ReLU.static_call`, term by term:
    /// with slope s ≠ 0, no max and no threshold it is leaky_relu; otherwise
    /// `a = threshold ≠ 0 ? (x > threshold ? x : 0) : (max == 6 ? relu6(x) : relu(x))`,
    /// then `a = clip(a, 0, max)` when a max is set (and not already applied by relu6),
    /// then `a −= s·relu(threshold − x)` when s ≠ 0.
    @inline(__always) static func reluLayer<T: RuntimeScalar>(_ x: T, _ c: ReLU) -> T {
        let s = T(c.negativeSlope), th = T(c.threshold)
        if c.negativeSlope != 0 && c.maxValue == nil && c.threshold == 0 { return x > 0 ? x : s * x }
        var a: T
        var clip = c.maxValue != nil
        if c.threshold != 0 {
            a = x > th ? x : 0
        } else if c.maxValue == 6 {
            a = x < 0 ? 0 : (x > 6 ? 6 : x)
            clip = false
        } else {
            a = x < 0 ? 0 : x
        }
        if clip, let m = c.maxValue {
            let mx = T(m)
            a = a < 0 ? 0 : (a > mx ? mx : a)
        }
        if c.negativeSlope != 0 {
            let neg = th - x
            a -= s * (neg < 0 ? 0 : neg)
        }
        return a
    }

    /// Derivative of ``reluLayer(_:_:)`` (TensorFlow's: relu passes where x > 0, relu6 where
    /// 0 < x < 6, clip where the value is inside [0, max] inclusive, `where` where the condition holds).
    @inline(__always) static func reluLayerDerivative<T: RuntimeScalar>(_ x: T, _ c: ReLU) -> T {
        let s = T(c.negativeSlope), th = T(c.threshold)
        if c.negativeSlope != 0 && c.maxValue == nil && c.threshold == 0 { return x > 0 ? 1 : s }
        var a: T, d: T
        var clip = c.maxValue != nil
        if c.threshold != 0 {
            a = x > th ? x : 0; d = x > th ? 1 : 0
        } else if c.maxValue == 6 {
            a = x < 0 ? 0 : (x > 6 ? 6 : x); d = (x > 0 && x < 6) ? 1 : 0
            clip = false
        } else {
            a = x < 0 ? 0 : x; d = x > 0 ? 1 : 0
        }
        if clip, let m = c.maxValue {
            if a < 0 || a > T(m) { d = 0 }
        }
        if c.negativeSlope != 0 && th - x > 0 { d += s }
        return d
    }
}
