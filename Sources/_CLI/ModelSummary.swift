import Foundation
import Format
import Interop

/// What `inspect` prints, in both tools (one renderer): a Keras-style table, one row per layer
/// (name, Keras class from the schema table, output shape, parameter count, activation), totals of
/// trainable and non-trainable parameters, metadata, training state, what the checksums vouch for,
/// and every stored tensor (name, dtype, shape). Strings from the file are escaped (``TerminalText``).
public enum ModelSummary {
    /// The container as the title shows it: `nnf MAJOR.MINOR` from an `.nnf` file's preamble,
    /// else `kind` (what ``CommandModelLoader`` recognised: `keras3-h5`, `nnf-hdf5`, …); nil when empty.
    public static func format(of path: String, kind: String) -> String? {
        guard kind == ModelLoader.Kind.nnf.description else { return kind.isEmpty ? nil : kind }
        guard let h = FileHandle(forReadingAtPath: path) else { return kind }
        defer { try? h.close() }
        let head = [UInt8]((try? h.read(upToCount: 12)) ?? Data())
        guard head.count == 12, Array(head[0..<8]) == NNF.magic else { return kind }
        return "nnf \(UInt16(head[8]) | UInt16(head[9]) << 8).\(UInt16(head[10]) | UInt16(head[11]) << 8)"
    }

    /// The summary text (ends with a newline).
    /// - Parameters:
    ///   - name: the file name shown in the title.
    ///   - format: a description of the container, e.g. `nnf 1.0` (``format(of:kind:)``).
    ///   - checksummed: whether the file's checksums were verified on reading (only `.nnf` has them).
    /// - Throws: ``ModelError`` when the description is invalid.
    public static func render(_ file: ModelFile, name: String, format: String?, checksummed: Bool) throws -> String {
        let layout = try file.model.parameterLayout()
        var rows: [[String]] = [["Layer (type)", "Output Shape", "Param #", "Activation"]]
        var trainable = 0, nonTrainable = 0
        for (i, layer) in file.model.layers.enumerated() {
            let params = layout.parameters.filter { $0.layer == i }
            let count = params.reduce(0) { $0 + $1.shape.reduce(1, *) }
            for p in params {
                if p.trainable { trainable += p.shape.reduce(1, *) } else { nonTrainable += p.shape.reduce(1, *) }
            }
            let schema = layer.kind.schema
            rows.append(["\(TerminalText.escaped(layer.name)) (\(schema.kerasClass))", "(None, \(layout.layerWidths[i]))", String(count), schema.activation?.rawValue ?? ""])
        }
        let widths = (0..<4).map { c in rows.map { $0[c].count }.max() ?? 0 }
        func line(_ r: [String]) -> String {
            (0..<4).map { c in c == 2 ? pad(r[c], widths[c], right: true) : pad(r[c], widths[c]) }.joined(separator: "   ")
                .trimmingTrailingSpaces()
        }
        let rule = String(repeating: "─", count: widths.reduce(0, +) + 9)
        var out = "Model: \"\(TerminalText.escaped(name))\"\n"
        if let format { out += "Format: \(format)\n" }
        out += "Input: (None, \(layout.inputWidth))\n"
        out += rule + "\n" + line(rows[0]) + "\n" + rule + "\n"
        for r in rows.dropFirst() { out += line(r) + "\n" }
        out += rule + "\n"
        let slots = file.tensors.filter { $0.name.hasPrefix(TrainingState.slotPrefix) }.reduce(0) { $0 + $1.tensor.elementCount }
        out += " Total params: \(trainable + nonTrainable) (\(bytes(4 * (trainable + nonTrainable))))\n"
        out += " Trainable params: \(trainable)\n"
        out += " Non-trainable params: \(nonTrainable)\n"
        if slots > 0 { out += " Optimizer params: \(slots)\n" }
        let dtypes = Set(file.tensors.map(\.tensor.dtype.rawValue)).sorted()
        out += " Stored dtypes: \(dtypes.isEmpty ? "none" : dtypes.joined(separator: ", "))\n"

        let m = file.metadata
        var meta: [(String, String)] = []
        if let v = m.producer { meta.append(("producer", v)) }
        if let v = m.sourceFormat { meta.append(("source format", v)) }
        if let v = m.sourceFile { meta.append(("source file", v)) }
        if let v = m.createdAt { meta.append(("created at", v)) }
        if let v = m.inputNames { meta.append(("input names", v.joined(separator: ", "))) }
        if let v = m.outputNames { meta.append(("output names", v.joined(separator: ", "))) }
        if let v = m.classLabels { meta.append(("class labels", v.joined(separator: ", "))) }
        for (k, v) in m.extra.sorted(by: { $0.key < $1.key }) { meta.append((k, v)) }
        out += "\nMetadata:\n"
        if meta.isEmpty { out += "  (none)\n" }
        // Strings from the file are escaped (TerminalText): no control sequence or line break reaches the terminal.
        for (k, v) in meta { out += "  \(TerminalText.escaped(k)): \(TerminalText.escaped(v))\n" }

        out += "\nTraining state:\n"
        if let t = file.training {
            out += "  loss: \(t.loss.name.rawValue)" + (t.loss.fromLogits ? " (from logits)" : "") + "\n"
            let o = t.optimizer
            let hp = o.hyperparameters(schedule: ScheduleText.describe).map { "\($0.name)=\($0.value)" }.joined(separator: ", ")
            out += "  optimizer: \(o.name.rawValue) (\(hp))\n"
            if t.loss.labelSmoothing != 0 { out += "  label smoothing: \(t.loss.labelSmoothing)\n" }
            if !t.metrics.isEmpty { out += "  metrics: \(TerminalText.escaped(t.metrics.joined(separator: ", ")))\n" }
            out += "  iterations: \(t.iterations), epochs: \(t.epochs)\n"
        } else {
            out += "  (none: inference only)\n"
        }
        out += checksummed ? "\nChecksums: header and \(file.tensors.count) tensors verified (CRC-32C)\n" : "\nChecksums: none in this format\n"
        out += "\nTensors (\(file.tensors.count)):\n"
        for t in file.tensors { out += "  \(TerminalText.escaped(t.name))  \(t.tensor.dtype.rawValue)  \(t.tensor.shape)\n" }
        return out
    }

    static func pad(_ s: String, _ w: Int, right: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, w - s.count))
        return right ? fill + s : s + fill
    }

    static func bytes(_ n: Int) -> String {
        if n < 1024 { return "\(n) B" }
        if n < 1024 * 1024 { return String(format: "%.2f KB", Double(n) / 1024) }
        return String(format: "%.2f MB", Double(n) / 1048576)
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var s = self
        while s.last == " " { s.removeLast() }
        return s
    }
}
