import Runtime

/// The allowed range of every integer flag of `nnrun`, in one place. Values outside are usage errors
/// (exit 2) whose message states the range, checked before any arithmetic uses them, so no flag value
/// can make a command trap on overflow. Sizes computed from several flags and a model (a batch's
/// `input width × batch size`, a new model's parameters) are further held to `MemoryBudget`.
public enum FlagLimits {
    /// `--batch-size`: 1 … 2^20 rows.
    public static let batchSize = 1...(1 << 20)
    /// `init --inputs` and the units of each `--layers` item: 1 … 2^24.
    public static let width = 1...(1 << 24)
    /// `bench --rows`: 1 … 10^12.
    public static let rows = 1...1_000_000_000_000
    /// `--threads`, `--concurrency`: 1 … 1024.
    public static let threads = 1...Network.maxThreads
    /// `--epochs`: 1 … 10^9 (`TrainingConfiguration.maxEpochs`).
    public static let epochs = 1...TrainingConfiguration.maxEpochs
    /// `--early-stopping PATIENCE`: 0 … 10^9.
    public static let patience = 0...TrainingConfiguration.maxEpochs

    /// `range` as the tools' help states it: `1 to 1048576`.
    public static func text(_ range: ClosedRange<Int>) -> String {
        "\(range.lowerBound) to \(range.upperBound)"
    }

    /// The usage message for `value` of `flag` outside `range`, or nil when it is inside.
    public static func violation(_ value: Int, _ flag: String, _ range: ClosedRange<Int>) -> String? {
        range.contains(value) ? nil : "\(flag) must be in \(range.lowerBound)...\(range.upperBound), found \(value)."
    }
}
