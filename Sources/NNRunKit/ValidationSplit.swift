import Runtime

/// `--validation-split F` with `--validation-shuffle` or `--stratify`: which rows are held out for
/// validation when not Keras' last rows.
///
/// - shuffled: `n − floor(n · (1 − F))` rows (as many as Keras holds out) chosen by a permutation from
///   `--seed` (stream 2⁶³, apart from the per-epoch shuffling streams);
/// - stratified: from each class (class id, one-hot arg-max, or 0/1 for one sigmoid target),
///   `round(F · rows of the class)` rows chosen the same way, so every class keeps its share.
/// The remaining rows stay in file order (training shuffles them per epoch unless `--no-shuffle`).
public enum ValidationSplit {
    public enum Mode: Sendable, Equatable { case shuffled, stratified }

    /// The training and validation row indices (each ascending).
    /// - Throws: ``NNRunError/usage(_:)`` when stratifying numeric targets, or when a side is empty.
    public static func rows(_ data: LabelledData, fraction: Double, mode: Mode, seed: UInt64, file: String) throws -> (train: [Int], validation: [Int]) {
        try rows(count: data.rows, classes: mode == .stratified ? classIds(data) : nil, fraction: fraction, mode: mode, seed: seed, file: file)
    }

    /// The same for `count` rows whose classes (for ``Mode/stratified``) are `classes` (nil: the
    /// targets are numbers); a distributed run gathers the classes of every rank's rows.
    static func rows(count n: Int, classes: [Int]?, fraction: Double, mode: Mode, seed: UInt64, file: String) throws -> (train: [Int], validation: [Int]) {
        var generator = RandomGenerator(seed: seed, stream: 1 << 63)
        var held: [Int] = []
        switch mode {
        case .shuffled:
            let count = n - Int((Double(n) * (1 - fraction)).rounded(.down))
            var order = Array(0..<n)
            generator.shuffle(&order)
            held = Array(order.prefix(count))
        case .stratified:
            guard let classes, classes.count == n else {
                throw NNRunError.usage("\(file): --stratify needs class targets (labels or class ids for a cross-entropy loss); these targets are numbers")
            }
            var byClass: [Int: [Int]] = [:]
            for (r, c) in classes.enumerated() { byClass[c, default: []].append(r) }
            for c in byClass.keys.sorted() {
                var members = byClass[c]!
                generator.shuffle(&members)
                held += members.prefix(Int((Double(members.count) * fraction).rounded()))
            }
        }
        let heldSet = Set(held)
        let train = (0..<n).filter { !heldSet.contains($0) }
        guard !train.isEmpty, !held.isEmpty else {
            throw NNRunError.usage("\(file): --validation-split \(fraction) of \(n) rows leaves no training or no validation rows")
        }
        return (train, held.sorted())
    }

    /// Keras' `validation_split`: the last `n − floor(n · (1 − F))` rows are held out (as the
    /// Trainer does with ``TrainingConfiguration/Validation/split(_:)``).
    /// - Throws: ``NNRunError/usage(_:)`` when a side is empty.
    public static func lastRows(_ n: Int, fraction: Double, file: String) throws -> (train: [Int], validation: [Int]) {
        let splitAt = Int((Double(n) * (1.0 - fraction)).rounded(.down))
        guard splitAt > 0, splitAt < n else {
            throw NNRunError.usage("\(file): --validation-split \(fraction) of \(n) rows leaves no training or no validation rows")
        }
        return (Array(0..<splitAt), Array(splitAt..<n))
    }

    /// The class of each row, or nil for numeric (non-class) targets.
    static func classIds(_ data: LabelledData) -> [Int]? {
        let w = data.targetWidth
        switch data.encoding {
        case .classIndex: return data.y.map { Int($0) }
        case .oneHot, .binary, .numeric:
            if data.encoding == .numeric && data.classLabels == nil && !(w > 1) {
                // One numeric column: classes only when it holds 0/1 targets (binary cross-entropy data).
                guard data.y.allSatisfy({ $0 == 0 || $0 == 1 }) else { return nil }
            }
            if w == 1 { return data.y.map { $0 >= 0.5 ? 1 : 0 } }
            return (0..<data.rows).map { r in
                var best = 0
                for j in 1..<w where data.y[r * w + j] > data.y[r * w + best] { best = j }
                return best
            }
        }
    }

    /// `rows` of a row-major `[rows, width]` array.
    static func gather(_ values: [Float], width: Int, rows: [Int]) -> [Float] {
        var out: [Float] = []
        out.reserveCapacity(rows.count * width)
        for r in rows { out.append(contentsOf: values[(r * width)..<((r + 1) * width)]) }
        return out
    }
}
