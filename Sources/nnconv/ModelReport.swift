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
            let hp = o.hyperparameters { "\($0.className)(initial \($0.initialLearningRate))" }
            let opt = ([o.name.rawValue] + hp.map { "\($0.name)=\($0.value)" }).joined(separator: " ")
            out += "  optimizer: \(opt)\n"
            if !t.metrics.isEmpty { out += "  metrics: \(t.metrics.joined(separator: ", "))\n" }
            out += "  iterations: \(t.iterations)\n  epochs: \(t.epochs)\n"
        } else {
            out += "training: none\n"
        }
        return out
    }

    /// The kind and its configuration in one line (`dense units=4 activation=relu`), from the schema table.
    static func describe(_ k: LayerKind) -> String {
        let summary = k.schema.summary
        return summary.isEmpty ? k.kindName : "\(k.kindName) \(summary)"
    }
}
