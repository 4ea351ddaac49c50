import Foundation

/// Per-epoch results of a training run: `epoch`, `loss`, metrics, then `val_` columns.
public struct HistoryTable {
    /// Column names after `epoch`, e.g. `["loss", "accuracy", "val_loss", "val_accuracy"]`.
    public var columns: [String]
    /// One row per epoch: the epoch number (1-based, counting earlier runs) and one value per column.
    public var rows: [(epoch: Int, values: [Double])] = []

    public init(columns: [String]) { self.columns = columns }

    /// Values of one column over the epochs.
    public func series(_ name: String) -> [Double]? {
        guard let i = columns.firstIndex(of: name) else { return nil }
        return rows.map { $0.values[i] }
    }

    /// The CSV text (header, then one line per epoch; values in shortest round-trip form).
    public func csv() -> String {
        var s = (["epoch"] + columns).joined(separator: ",") + "\n"
        for r in rows {
            s += ([String(r.epoch)] + r.values.map { "\($0)" }).joined(separator: ",") + "\n"
        }
        return s
    }

    /// The loss chart: loss and val_loss curves.
    public func plot(title: String) -> LossPlot {
        var series: [LossPlot.Series] = []
        for name in ["loss", "val_loss"] {
            if let v = self.series(name) { series.append(.init(name: name, values: v)) }
        }
        return LossPlot(title: title, series: series, firstEpoch: rows.first?.epoch ?? 1)
    }

    /// The training chart of `--plot`: the loss panel (log scale when `logLoss`, else decided from
    /// the data) and one panel per metric, training and validation curves in each, and the best
    /// epoch marked: `bestEpoch` when given (early stopping's), else the epoch of the lowest
    /// `val_loss` (or `loss` without validation).
    public func trainingPlot(title: String, logLoss: Bool? = nil, bestEpoch: Int? = nil) -> TrainingPlot {
        let monitor = columns.contains("val_loss") ? "val_loss" : "loss"
        var best = bestEpoch
        if best == nil, let values = series(monitor) {
            var k: Int?
            for (i, v) in values.enumerated() where v.isFinite && (k == nil || v < values[k!]) { k = i }
            best = k.map { rows[$0].epoch }
        }
        let bases = columns.filter { !$0.hasPrefix("val_") }
        var panels: [LossPlot] = []
        for base in bases {
            var series: [LossPlot.Series] = []
            for name in [base, "val_" + base] {
                if let v = self.series(name) { series.append(.init(name: name, values: v)) }
            }
            var p = LossPlot(title: base == "loss" ? title : base, series: series, firstEpoch: rows.first?.epoch ?? 1,
                             yLabel: base, logScale: base == "loss" ? logLoss : false)
            if base != "loss" { p.height = 320 }
            p.marker = best.map { ($0, "best epoch \($0) (\(monitor))") }
            panels.append(p)
        }
        return TrainingPlot(panels: panels)
    }
}
