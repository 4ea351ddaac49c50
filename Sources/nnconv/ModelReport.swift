import Foundation
import Format
import Interop

/// The text `nnconv inspect` prints.
enum ModelReport {
    /// - Parameter kind: what the file was recognised as (`ModelLoader.Kind.description`).
    static func text(_ m: ModelFile, kind: String, file: String) -> String {
        var out = "file: \(file)\nlayout: \(kind)\n"
        let layout = try? m.model.parameterLayout()
        out += "input width: \(m.model.inputWidth)\n"
        out += "output width: \(layout.map { String($0.outputWidth) } ?? "?")\n"
        out += "layers (\(m.model.layers.count)):\n"
        for (i, l) in m.model.layers.enumerated() {
            let width = layout.map { " -> \($0.layerWidths[i])" } ?? ""
            out += "  \(i)  \(l.name)  \(describe(l.kind))\(width)\n"
        }
        out += "tensors (\(m.tensors.count)):\n"
        for t in m.tensors {
            out += "  \(t.name)  \(t.tensor.dtype.rawValue)  \(t.tensor.shape)\n"
        }
        let md = m.metadata
        out += "metadata:\n"
        for (k, v) in [("producer", md.producer), ("source_format", md.sourceFormat), ("source_file", md.sourceFile), ("created_at", md.createdAt)] {
            if let v { out += "  \(k): \(v)\n" }
        }
        if let n = md.inputNames { out += "  input_names: \(n.joined(separator: ", "))\n" }
        if let n = md.outputNames { out += "  output_names: \(n.joined(separator: ", "))\n" }
        if let n = md.classLabels { out += "  class_labels: \(n.joined(separator: ", "))\n" }
        for k in md.extra.keys.sorted() { out += "  \(k): \(md.extra[k] ?? "")\n" }
        if let t = m.training {
            let o = t.optimizer
            out += "training:\n"
            out += "  loss: \(t.loss.name.rawValue)\(t.loss.fromLogits ? " (from_logits)" : "")\(t.loss.labelSmoothing != 0 ? " label_smoothing=\(t.loss.labelSmoothing)" : "")\n"
            var opt = "\(o.name.rawValue) learning_rate=\(o.learningRateSchedule.map { "\($0.className)(initial \($0.initialLearningRate))" } ?? "\(o.learningRate)")"
            switch o.name {
            case .sgd: opt += " momentum=\(o.momentum) nesterov=\(o.nesterov)"
            case .adam, .adamw: opt += " beta_1=\(o.beta1) beta_2=\(o.beta2) epsilon=\(o.epsilon) amsgrad=\(o.amsgrad)"
            case .rmsprop: opt += " rho=\(o.rho) momentum=\(o.momentum) epsilon=\(o.epsilon) centered=\(o.centered)"
            case .adagrad: opt += " initial_accumulator_value=\(o.initialAccumulatorValue) epsilon=\(o.epsilon)"
            }
            if let w = o.weightDecay { opt += " weight_decay=\(w)" }
            out += "  optimizer: \(opt)\n"
            if !t.metrics.isEmpty { out += "  metrics: \(t.metrics.joined(separator: ", "))\n" }
            out += "  iterations: \(t.iterations)\n  epochs: \(t.epochs)\n"
        } else {
            out += "training: none\n"
        }
        return out
    }

    static func describe(_ k: LayerKind) -> String {
        switch k {
        case .dense(let d): "dense units=\(d.units) activation=\(d.activation.rawValue)\(d.useBias ? "" : " use_bias=false")"
        case .activation(let a): "activation \(a.rawValue)"
        case .dropout(let d): "dropout rate=\(d.rate)\(d.seed.map { " seed=\($0)" } ?? "")"
        case .batchNormalization(let b): "batch_normalization momentum=\(b.momentum) epsilon=\(b.epsilon) center=\(b.center) scale=\(b.scale)"
        case .normalization(let n): "normalization" + (n.epsilon.map { " epsilon=\($0)" } ?? "")
        case .relu(let r): "relu" + (r.maxValue.map { " max_value=\($0)" } ?? "") + " negative_slope=\(r.negativeSlope) threshold=\(r.threshold)"
        case .leakyReLU(let s): "leaky_relu negative_slope=\(s)"
        case .elu(let a): "elu alpha=\(a)"
        case .softmax: "softmax"
        case .input: "input"
        case .flatten: "flatten"
        }
    }
}
