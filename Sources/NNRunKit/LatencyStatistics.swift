/// Percentiles of measured durations (nearest-rank on the sorted samples).
public struct LatencyStatistics: Sendable, Equatable {
    public var p50: Double
    public var p90: Double
    public var p99: Double
    public var mean: Double

    /// - Parameter samples: durations in any unit (the result uses the same unit); must not be empty.
    public init(samples: [Double]) {
        let s = samples.sorted()
        func rank(_ p: Double) -> Double {
            guard !s.isEmpty else { return 0 }
            let i = Int((p / 100 * Double(s.count)).rounded(.up)) - 1
            return s[min(max(i, 0), s.count - 1)]
        }
        p50 = rank(50)
        p90 = rank(90)
        p99 = rank(99)
        mean = s.isEmpty ? 0 : s.reduce(0, +) / Double(s.count)
    }
}
