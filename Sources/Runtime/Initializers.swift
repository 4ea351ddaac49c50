import Format

/// Weight initialisers with Keras 3's names and variance-scaling semantics.
///
/// For a tensor of shape `shape`, Keras' `compute_fans` gives `(fanIn, fanOut)`:
/// `[]` → `(1, 1)`, `[n]` → `(n, n)`, `[in, out]` → `(in, out)`. The variance-scaling family then sets
/// `s = scale / max(1, n)` with `n = fanIn` (`he_*`, `lecun_*`) or `n = (fanIn + fanOut) / 2`
/// (`glorot_*`), and draws
/// - `*_uniform`: uniform on `[-limit, limit)` with `limit = sqrt(3 s)` (variance `s`);
/// - `*_normal`: Keras 3 draws a *truncated* normal (cut at two standard deviations) with
///   standard deviation `sqrt(s) / 0.87962566103423978`, so that the variance after truncation is `s`.
///
/// `scale` is 1 for glorot and lecun, 2 for he. The random stream is ``RandomGenerator``'s, so
/// values are reproducible from a seed but not bit-identical to Keras (whose streams are
/// TensorFlow's Philox); the distributions are the same.
public enum Initializer: String, Sendable, CaseIterable, Codable {
    case glorotUniform = "glorot_uniform"
    case glorotNormal = "glorot_normal"
    case heUniform = "he_uniform"
    case heNormal = "he_normal"
    case lecunUniform = "lecun_uniform"
    case lecunNormal = "lecun_normal"
    case zeros
    case ones

    /// Keras' correction for the variance lost by truncating a normal at ±2σ: the standard
    /// deviation of a standard normal conditioned on `|z| <= 2`.
    public static let truncationStddev = 0.87962566103423978

    /// Parses a Keras name (`glorot_uniform`, also the class spellings `GlorotUniform`, `Zeros`, …).
    public init?(keras name: String) {
        if let v = Initializer(rawValue: name) { self = v; return }
        switch name {
        case "GlorotUniform": self = .glorotUniform
        case "GlorotNormal": self = .glorotNormal
        case "HeUniform": self = .heUniform
        case "HeNormal": self = .heNormal
        case "LecunUniform": self = .lecunUniform
        case "LecunNormal": self = .lecunNormal
        case "Zeros", "zero": self = .zeros
        case "Ones", "one": self = .ones
        default: return nil
        }
    }

    /// Keras' `(fan_in, fan_out)` for a weight shape (see the type documentation).
    public static func fans(of shape: [Int]) -> (fanIn: Int, fanOut: Int) {
        switch shape.count {
        case 0: return (1, 1)
        case 1: return (shape[0], shape[0])
        case 2: return (shape[0], shape[1])
        default:
            // Convolution-style kernels (..., in, out): receptive field times channels.
            let receptive = shape.dropLast(2).reduce(1, *)
            return (shape[shape.count - 2] * receptive, shape[shape.count - 1] * receptive)
        }
    }

    /// The variance `s` the variance-scaling initialisers target for `shape`; nil for constants.
    public func targetVariance(for shape: [Int]) -> Double? {
        let (fanIn, fanOut) = Initializer.fans(of: shape)
        switch self {
        case .glorotUniform, .glorotNormal: return 1.0 / max(1.0, Double(fanIn + fanOut) / 2.0)
        case .heUniform, .heNormal: return 2.0 / max(1.0, Double(fanIn))
        case .lecunUniform, .lecunNormal: return 1.0 / max(1.0, Double(fanIn))
        case .zeros, .ones: return nil
        }
    }

    /// Whether values are drawn uniformly (`limit = sqrt(3 s)`); false for truncated normals and constants.
    public var isUniform: Bool {
        switch self {
        case .glorotUniform, .heUniform, .lecunUniform: true
        default: false
        }
    }

    /// Fills a tensor of `shape` (row-major) with this initialiser's values.
    ///
    /// Draws exactly one uniform per element for the uniform variants and one accepted truncated
    /// normal per element for the normal variants, in row-major order; constants draw nothing.
    /// - Parameters:
    ///   - shape: the tensor shape; its element count is the output's count. A shape with a
    ///     negative dimension or an overflowing element count yields no values.
    ///   - generator: the stream to draw from (advanced in place).
    public func values(shape: [Int], generator: inout RandomGenerator) -> [Float] {
        guard let n = try? Tensor.elementCount(of: shape) else { return [] }
        switch self {
        case .zeros: return [Float](repeating: 0, count: n)
        case .ones: return [Float](repeating: 1, count: n)
        default: break
        }
        let s = targetVariance(for: shape) ?? 1
        var out = [Float](repeating: 0, count: n)
        if isUniform {
            let limit = (3.0 * s).squareRoot()
            for i in 0..<n { out[i] = generator.nextUniform(-limit, limit) }
        } else {
            let stddev = s.squareRoot() / Initializer.truncationStddev
            for i in 0..<n { out[i] = Float(generator.nextTruncatedNormal() * stddev) }
        }
        return out
    }
}
