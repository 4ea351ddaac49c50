/// The rows of a data set spread over the processes of a ``ProcessGroup``: process `q` holds the
/// contiguous run of rows `starts[q] ..< starts[q + 1]` (its *home* rows: in a distributed
/// `nnrun train`, the rows of its byte range of the file), and ``fetch(_:what:)`` hands each process
/// the rows it needs from the others in one all-to-all exchange.
///
/// Rows are numbered over the whole set (`0 ..< rows`), in the order a single process would read
/// them, so that a single run and a group agree on what row `i` is.
public final class RowShards {
    public let group: ProcessGroup
    /// This process's home rows: inputs `[home rows, x.cols]` and targets `[home rows, y.cols]`.
    public private(set) var x: Matrix
    public private(set) var y: Matrix
    /// `size + 1` ascending offsets: process `q` holds rows `starts[q] ..< starts[q + 1]`.
    public let starts: [Int]

    /// - Throws: ``TrainerError/invalidConfiguration(field:value:expected:)`` when `starts` does not
    ///   fit the group or this process's rows.
    public init(group: ProcessGroup, x: Matrix, y: Matrix, starts: [Int]) throws {
        guard starts.count == group.size + 1, starts.first == 0, zip(starts, starts.dropFirst()).allSatisfy({ $0 <= $1 }),
              starts[group.rank + 1] - starts[group.rank] == x.rows, x.rows == y.rows else {
            throw TrainerError.invalidConfiguration(field: "row_shards", value: "\(starts) with \(x.rows) rows on process \(group.rank)",
                                                    expected: "ascending offsets from 0, one per process and one more, matching each process's rows")
        }
        self.group = group
        self.x = x
        self.y = y
        self.starts = starts
    }

    /// Rows of the whole set.
    public var rows: Int { starts[group.size] }
    /// The first row this process holds.
    public var firstHomeRow: Int { starts[group.rank] }

    /// The process holding row `row` (`0 ..< rows`).
    public func owner(of row: Int) -> Int {
        var lo = 0, hi = group.size - 1  // the last q with starts[q] <= row (a process with no rows is skipped)
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if starts[mid] <= row { lo = mid } else { hi = mid - 1 }
        }
        return lo
    }

    /// Gives up the home rows (after the last ``fetch(_:what:)`` that needs them).
    public func dropHomeRows() {
        x = Matrix(rows: 0, cols: x.cols)
        y = Matrix(rows: 0, cols: y.cols)
    }

    /// The rows `needs(rank)` (indices into the whole set, in the order wanted; repeats allowed),
    /// from whichever processes hold them. A collective: every process calls it with the same
    /// `needs` function, which must give every process's list alike on every process (each sends
    /// process q the rows of `needs(q)` it holds, in that order).
    ///
    /// One ``ProcessGroup/allToAll(_:sendCounts:into:receiveCounts:what:)`` of float32 rows (inputs
    /// then targets, `4 · (x.cols + y.cols)` bytes a row), plus the exchange's own small sum.
    /// - Returns: inputs and targets of `needs(rank)`, row by row.
    /// - Throws: ``TrainerError/invalidConfiguration(field:value:expected:)`` for a row outside
    ///   `0 ..< rows`; the group's errors.
    public func fetch(_ needs: (Int) -> [Int], what: String) throws -> (x: Matrix, y: Matrix) {
        let me = group.rank, size = group.size, xc = x.cols, yc = y.cols, width = xc + yc
        let home = starts[me]..<starts[me + 1]
        var send: [Float] = [], sendCounts = [Int](repeating: 0, count: size)
        var mine: [Int] = []
        x.values.withUnsafeBufferPointer { xs in
            y.values.withUnsafeBufferPointer { ys in
                for q in 0..<size {
                    let list = needs(q)
                    if q == me { mine = list }
                    var count = 0
                    for row in list where home.contains(row) {
                        let local = row - home.lowerBound
                        send.append(contentsOf: xs[(local * xc)..<((local + 1) * xc)])
                        send.append(contentsOf: ys[(local * yc)..<((local + 1) * yc)])
                        count += 1
                    }
                    sendCounts[q] = count * width * 4
                }
            }
        }
        var fromEach = [Int](repeating: 0, count: size), owners: [Int] = []
        owners.reserveCapacity(mine.count)
        for row in mine {
            guard row >= 0 && row < rows else {
                throw TrainerError.invalidConfiguration(field: "row_shards", value: "row \(row)", expected: "a row in 0..<\(rows)")
            }
            let o = owner(of: row)
            owners.append(o)
            fromEach[o] += 1
        }
        var received = [Float](repeating: 0, count: mine.count * width)
        try send.withUnsafeBytes { s in
            try received.withUnsafeMutableBytes { r in
                try group.allToAll(s, sendCounts: sendCounts, into: r, receiveCounts: fromEach.map { $0 * width * 4 }, what: what)
            }
        }
        send = []  // (freed before the rows are laid out: memory peaks lower)
        // Each process's rows arrive in the order of `mine`: take them back in that order.
        var at = [Int](repeating: 0, count: size)
        for q in 1..<max(size, 1) { at[q] = at[q - 1] + fromEach[q - 1] * width }
        var outX = [Float](repeating: 0, count: mine.count * xc), outY = [Float](repeating: 0, count: mine.count * yc)
        received.withUnsafeBufferPointer { r in
            outX.withUnsafeMutableBufferPointer { ox in
                outY.withUnsafeMutableBufferPointer { oy in
                    for (i, o) in owners.enumerated() {
                        let from = at[o]
                        for j in 0..<xc { ox[i * xc + j] = r[from + j] }
                        for j in 0..<yc { oy[i * yc + j] = r[from + xc + j] }
                        at[o] += width
                    }
                }
            }
        }
        return (try Matrix(rows: mine.count, cols: xc, values: outX), try Matrix(rows: mine.count, cols: yc, values: outY))
    }
}
