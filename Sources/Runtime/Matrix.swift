/// A dense row-major matrix of float32 values: a batch of rows, `cols` features each.
///
/// Element `(r, c)` is `values[r * cols + c]`. Used for model inputs `[batch, inputWidth]`,
/// outputs `[batch, outputWidth]`, targets and loss gradients.
public struct Matrix: Sendable, Equatable {
    public private(set) var rows: Int
    public private(set) var cols: Int
    /// `rows * cols` values, row after row. Keep the count when mutating; the runtime checks it
    /// (``RuntimeError/shapeMismatch``) before reading.
    public var values: [Float]

    /// Whether `values.count == rows * cols`.
    public var isConsistent: Bool { rows >= 0 && cols >= 0 && values.count == rows * cols }

    /// A matrix from row-major values.
    /// - Throws: ``RuntimeError/shapeMismatch`` when `values.count != rows * cols` or a dimension is negative.
    public init(rows: Int, cols: Int, values: [Float]) throws {
        guard rows >= 0, cols >= 0, rows.multipliedReportingOverflow(by: cols) == (values.count, false) else {
            throw RuntimeError.shapeMismatch(what: "matrix values", expected: "\(rows)×\(cols) = \(rows &* cols) values", actual: "\(values.count) values")
        }
        self.rows = rows
        self.cols = cols
        self.values = values
    }

    /// A `rows × cols` matrix filled with `value`.
    /// - Precondition: `rows` and `cols` are ≥ 0 and `rows × cols` does not overflow; otherwise it
    ///   traps, so callers check sizes that come from a file or a flag first.
    public init(rows: Int, cols: Int, repeating value: Float = 0) {
        precondition(rows >= 0 && cols >= 0, "negative matrix dimension")
        self.rows = rows
        self.cols = cols
        self.values = [Float](repeating: value, count: rows * cols)
    }

    /// A matrix from an array of equally long rows.
    /// - Throws: ``RuntimeError/shapeMismatch`` naming the first row whose length differs from the first row's.
    public init(_ rowArrays: [[Float]]) throws {
        let cols = rowArrays.first?.count ?? 0
        var values: [Float] = []
        values.reserveCapacity(rowArrays.count * cols)
        for (i, r) in rowArrays.enumerated() {
            guard r.count == cols else {
                throw RuntimeError.shapeMismatch(what: "row \(i)", expected: "\(cols) values", actual: "\(r.count) values")
            }
            values.append(contentsOf: r)
        }
        self.rows = rowArrays.count
        self.cols = cols
        self.values = values
    }

    /// Element at row `r`, column `c` (0-based).
    public subscript(r: Int, c: Int) -> Float {
        get { values[r * cols + c] }
        set { values[r * cols + c] = newValue }
    }

    /// Row `r` as an array.
    public func row(_ r: Int) -> [Float] { Array(values[(r * cols)..<((r + 1) * cols)]) }

    /// Rows `range` as a new matrix (a mini-batch).
    public func rows(_ range: Range<Int>) -> Matrix {
        var m = Matrix(rows: 0, cols: cols)
        m.rows = range.count
        m.values = Array(values[(range.lowerBound * cols)..<(range.upperBound * cols)])
        return m
    }

    /// The rows at `indices`, in that order (a shuffled mini-batch).
    public func gatherRows(_ indices: some Collection<Int>) -> Matrix {
        var out = [Float]()
        out.reserveCapacity(indices.count * cols)
        values.withUnsafeBufferPointer { v in
            for i in indices { out.append(contentsOf: v[(i * cols)..<((i + 1) * cols)]) }
        }
        var m = Matrix(rows: 0, cols: cols)
        m.rows = indices.count
        m.values = out
        return m
    }
}
