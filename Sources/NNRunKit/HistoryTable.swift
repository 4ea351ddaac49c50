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
}
