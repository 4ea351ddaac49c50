import Foundation

/// Renders training curves (loss per epoch, optionally validation loss and metrics) as a
/// self-contained SVG: title, axes with ticks and labels, grid, legend.
///
/// The y axis is logarithmic when every value is positive and the largest is more than 50 times
/// the smallest (a loss that falls by orders of magnitude stays readable); otherwise linear.
/// Non-finite values are left out of the curve.
public struct LossPlot {
    public struct Series {
        public var name: String
        /// One value per epoch, epoch `i + firstEpoch`.
        public var values: [Double]
        public init(name: String, values: [Double]) {
            self.name = name
            self.values = values
        }
    }

    public var title: String
    public var series: [Series]
    /// Number of the first epoch plotted (1 for a fresh run; later for a continued one).
    public var firstEpoch: Int
    public var yLabel: String
    /// nil: decide from the data; true/false: force.
    public var logScale: Bool?
    public var width = 800.0
    public var height = 500.0
    /// An epoch to mark with a dashed vertical line and a label (the best epoch), or nil.
    public var marker: (epoch: Int, label: String)?

    public init(title: String, series: [Series], firstEpoch: Int = 1, yLabel: String = "loss", logScale: Bool? = nil) {
        self.title = title
        self.series = series
        self.firstEpoch = firstEpoch
        self.yLabel = yLabel
        self.logScale = logScale
    }

    static let colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"]

    /// Whether the y axis will be logarithmic.
    public var usesLogScale: Bool {
        if let logScale { return logScale }
        let all = series.flatMap(\.values).filter(\.isFinite)
        guard let lo = all.min(), let hi = all.max(), lo > 0 else { return false }
        return hi / lo > 50
    }

    /// The SVG document.
    public func svg() -> String {
        let left = 80.0, right = 30.0, top = 50.0, bottom = 60.0
        let plotW = width - left - right, plotH = height - top - bottom
        let count = series.map(\.values.count).max() ?? 0
        let xMin = Double(firstEpoch), xMax = Double(firstEpoch + max(count, 2) - 1)
        let log = usesLogScale
        let finite = series.flatMap(\.values).filter { $0.isFinite && (!log || $0 > 0) }
        var yLo = finite.min() ?? 0, yHi = finite.max() ?? 1
        var yTicks: [Double]
        if log {
            let a = Foundation.floor(log10(yLo)), b = Foundation.ceil(log10(yHi))
            yLo = pow(10, a); yHi = pow(10, max(b, a + 1))
            yTicks = stride(from: a, through: max(b, a + 1), by: 1).map { pow(10, $0) }
        } else {
            if yLo == yHi { yLo -= 0.5; yHi += 0.5 }
            if yLo > 0 && yLo < 0.25 * yHi { yLo = 0 }
            yTicks = Self.niceTicks(yLo, yHi, count: 6)
            yLo = min(yLo, yTicks.first ?? yLo); yHi = max(yHi, yTicks.last ?? yHi)
        }
        let xTicks = Self.niceTicks(xMin, xMax, count: 8).filter { $0 >= xMin && $0 <= xMax && $0 == $0.rounded() }
        func px(_ x: Double) -> Double { left + (x - xMin) / (xMax - xMin) * plotW }
        func py(_ y: Double) -> Double {
            let t = log ? (log10(y) - log10(yLo)) / (log10(yHi) - log10(yLo)) : (y - yLo) / (yHi - yLo)
            return top + (1 - t) * plotH
        }
        var s = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(f(width))" height="\(f(height))" viewBox="0 0 \(f(width)) \(f(height))" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="13">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(f(left + plotW / 2))" y="28" text-anchor="middle" font-size="17" font-weight="bold">\(Self.escape(title))</text>

        """
        // Grid and ticks.
        for t in yTicks {
            let y = py(t)
            s += "<line x1=\"\(f(left))\" y1=\"\(f(y))\" x2=\"\(f(left + plotW))\" y2=\"\(f(y))\" stroke=\"#e0e0e0\"/>\n"
            s += "<line x1=\"\(f(left - 5))\" y1=\"\(f(y))\" x2=\"\(f(left))\" y2=\"\(f(y))\" stroke=\"black\"/>\n"
            s += "<text x=\"\(f(left - 8))\" y=\"\(f(y + 4))\" text-anchor=\"end\">\(Self.label(t))</text>\n"
        }
        for t in xTicks {
            let x = px(t)
            s += "<line x1=\"\(f(x))\" y1=\"\(f(top))\" x2=\"\(f(x))\" y2=\"\(f(top + plotH))\" stroke=\"#f0f0f0\"/>\n"
            s += "<line x1=\"\(f(x))\" y1=\"\(f(top + plotH))\" x2=\"\(f(x))\" y2=\"\(f(top + plotH + 5))\" stroke=\"black\"/>\n"
            s += "<text x=\"\(f(x))\" y=\"\(f(top + plotH + 20))\" text-anchor=\"middle\">\(Int(t))</text>\n"
        }
        s += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(plotW))\" height=\"\(f(plotH))\" fill=\"none\" stroke=\"black\"/>\n"
        s += "<text x=\"\(f(left + plotW / 2))\" y=\"\(f(height - 15))\" text-anchor=\"middle\">epoch</text>\n"
        let yTitle = yLabel + (log ? " (log scale)" : "")
        s += "<text x=\"20\" y=\"\(f(top + plotH / 2))\" text-anchor=\"middle\" transform=\"rotate(-90 20 \(f(top + plotH / 2)))\">\(Self.escape(yTitle))</text>\n"
        // Curves.
        for (k, ser) in series.enumerated() {
            let color = Self.colors[k % Self.colors.count]
            var segments: [[String]] = [[]]
            for (i, v) in ser.values.enumerated() {
                guard v.isFinite, !log || v > 0 else { segments.append([]); continue }
                segments[segments.count - 1].append("\(f(px(Double(firstEpoch + i)))),\(f(py(v)))")
            }
            for seg in segments where !seg.isEmpty {
                s += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" points=\"\(seg.joined(separator: " "))\"/>\n"
                if ser.values.count <= 40 {
                    for p in seg {
                        let xy = p.split(separator: ",")
                        s += "<circle cx=\"\(xy[0])\" cy=\"\(xy[1])\" r=\"3\" fill=\"\(color)\"/>\n"
                    }
                }
            }
        }
        if let m = marker, Double(m.epoch) >= xMin, Double(m.epoch) <= xMax {
            let x = px(Double(m.epoch))
            s += "<line x1=\"\(f(x))\" y1=\"\(f(top))\" x2=\"\(f(x))\" y2=\"\(f(top + plotH))\" stroke=\"#555\" stroke-dasharray=\"5,4\"/>\n"
            s += "<text x=\"\(f(x + 4))\" y=\"\(f(top + plotH - 8))\" fill=\"#555\">\(Self.escape(m.label))</text>\n"
        }
        // Legend, top right inside the plot.
        let legendW = 20.0 + 8.0 * Double(series.map(\.name.count).max() ?? 4) + 30
        let lx = left + plotW - legendW - 10, ly = top + 10
        s += "<rect x=\"\(f(lx))\" y=\"\(f(ly))\" width=\"\(f(legendW))\" height=\"\(f(Double(series.count) * 20 + 10))\" fill=\"white\" fill-opacity=\"0.9\" stroke=\"#999\"/>\n"
        for (k, ser) in series.enumerated() {
            let y = ly + 18 + Double(k) * 20
            let color = Self.colors[k % Self.colors.count]
            s += "<line x1=\"\(f(lx + 8))\" y1=\"\(f(y - 4))\" x2=\"\(f(lx + 32))\" y2=\"\(f(y - 4))\" stroke=\"\(color)\" stroke-width=\"3\"/>\n"
            s += "<text x=\"\(f(lx + 38))\" y=\"\(f(y))\">\(Self.escape(ser.name))</text>\n"
        }
        s += "</svg>\n"
        return s
    }

    private func f(_ v: Double) -> String { String(format: "%.1f", v) }

    /// About `count` evenly spaced round values (steps of 1, 2 or 5 times a power of ten) covering `[lo, hi]`.
    static func niceTicks(_ lo: Double, _ hi: Double, count: Int) -> [Double] {
        guard hi > lo, lo.isFinite, hi.isFinite else { return [lo] }
        let raw = (hi - lo) / Double(max(1, count - 1))
        let mag = pow(10, Foundation.floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * mag }.first { $0 >= raw } ?? 10 * mag
        let start = Foundation.floor(lo / step) * step
        var ticks: [Double] = []
        var t = start
        while t <= hi + step * 0.5 && ticks.count < 50 {
            ticks.append(abs(t) < step * 1e-9 ? 0 : t)
            t += step
        }
        return ticks
    }

    static func label(_ v: Double) -> String {
        if v == 0 { return "0" }
        let a = abs(v)
        if a >= 1e5 || a < 1e-3 { return String(format: "%.0e", v) }
        var s = String(format: "%.4f", v)
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        return s
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}

/// `--plot`: one panel per quantity, stacked in one SVG: the loss (training and validation), then
/// each metric (training and validation), all marking the same best epoch.
public struct TrainingPlot {
    public var panels: [LossPlot]

    /// The SVG document: the panels one below the other (nested `<svg>` elements).
    public func svg() -> String {
        let width = panels.map(\.width).max() ?? 800
        let height = panels.reduce(0) { $0 + $1.height }
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\">\n"
        var y = 0.0
        for p in panels {
            let inner = p.svg().replacingOccurrences(of: "<svg xmlns=\"http://www.w3.org/2000/svg\" ", with: "<svg x=\"0\" y=\"\(Int(y))\" ")
            s += inner
            y += p.height
        }
        return s + "</svg>\n"
    }
}
