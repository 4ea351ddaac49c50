/// Problems found while building, running or training a network.
public enum RuntimeError: Error, Equatable, CustomStringConvertible {
    /// The model file failed validation (wraps the Format error's sentence).
    case invalidModel(String)
    /// An input matrix has the wrong number of columns.
    case inputWidthMismatch(expected: Int, actual: Int)
    /// Two things that must agree in shape do not (targets vs predictions, matrix values vs dimensions…).
    case shapeMismatch(what: String, expected: String, actual: String)
    /// A layer or option the runtime cannot run.
    case unsupported(layerIndex: Int?, layerName: String?, reason: String)
    /// A sparse label is not an integer in `[0, classes)`.
    case invalidLabel(row: Int, value: Float, classes: Int)
    /// The loss is NaN or infinite.
    case nonFiniteLoss(Double)
    /// A metric name that is not supported.
    case unknownMetric(String)
    /// `backward` was called without a preceding training `forward` for the same batch size.
    case backwardWithoutForward

    public var description: String {
        switch self {
        case .invalidModel(let s): "invalid model: \(s)"
        case .inputWidthMismatch(let e, let a): "input has \(a) columns, the model expects \(e)"
        case .shapeMismatch(let w, let e, let a): "\(w): expected \(e), found \(a)"
        case .unsupported(let i, let n, let r):
            if let i, let n { "layer \(i) (\"\(n)\"): \(r)" } else { r }
        case .invalidLabel(let r, let v, let c): "row \(r): sparse label \(v) is not an integer class index in [0, \(c))"
        case .nonFiniteLoss(let v): "the loss is not finite (\(v)); training diverged or the data holds NaN/inf"
        case .unknownMetric(let m): "unknown metric \"\(m)\"; supported: \(Metric.supportedNames)"
        case .backwardWithoutForward: "backward() needs a forward(training: true) on a batch of the same size first"
        }
    }
}
