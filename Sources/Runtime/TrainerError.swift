/// Why training could not start or had to stop.
public enum TrainerError: Error, Equatable, CustomStringConvertible {
    /// A configuration value out of range (`batch_size` 0, `validation_split` 1.5, …).
    case invalidConfiguration(field: String, value: String, expected: String)
    /// Inputs and targets disagree on the number of rows.
    case sampleCountMismatch(what: String, inputs: Int, targets: Int)
    /// Inputs or targets with the wrong number of columns for the model or loss.
    case widthMismatch(what: String, expected: Int, actual: Int)
    /// No training rows (after taking the validation split).
    case noTrainingData
    /// `validation_split` would leave no training or no validation rows (Keras raises the same).
    case splitTooSmall(samples: Int, split: Double)
    /// Early stopping monitors a key the run does not produce.
    case unknownMonitor(String, available: [String])
    /// A training batch's loss was NaN or infinite (Keras' `TerminateOnNaN` condition).
    /// `lastGood` holds the model as it was before that batch (all values finite), its history
    /// up to the previous epoch, and `stopReason` ``TrainingResult/StopReason/nonFinite``.
    case nonFiniteLoss(epoch: Int, batch: Int, loss: Double, lastGood: TrainingResult)
    /// An optimizer step produced a NaN or infinite weight in `parameter` (exploding gradients)
    /// even though the batch's loss was finite; `lastGood` is the model before that batch.
    case nonFiniteWeights(epoch: Int, batch: Int, parameter: String, lastGood: TrainingResult)

    public var description: String {
        switch self {
        case .invalidConfiguration(let f, let v, let e):
            "training configuration: \(f) is \(v), expected \(e)"
        case .sampleCountMismatch(let w, let x, let y):
            "\(w): the inputs have \(x) rows but the targets have \(y)"
        case .widthMismatch(let w, let e, let a):
            "\(w): expected \(e) columns, found \(a)"
        case .noTrainingData:
            "no training rows: the data is empty"
        case .splitTooSmall(let n, let s):
            "validation_split \(s) of \(n) rows leaves no training or no validation rows; provide more data or another split"
        case .unknownMonitor(let m, let a):
            "early stopping monitors \"\(m)\", which this run does not report; available: \(a.joined(separator: ", "))"
        case .nonFiniteLoss(let e, let b, let l, _):
            "the loss became \(l) in epoch \(e + 1), batch \(b + 1); training stopped and the weights from before that batch were kept (try a lower learning rate, gradient clipping, or check the data for NaN/inf)"
        case .nonFiniteWeights(let e, let b, let p, _):
            "the update in epoch \(e + 1), batch \(b + 1) made \"\(p)\" NaN or infinite; training stopped and the weights from before that batch were kept (try a lower learning rate or gradient clipping)"
        }
    }
}
