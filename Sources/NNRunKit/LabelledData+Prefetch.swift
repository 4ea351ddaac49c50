import Foundation
import Format
import Runtime
import Tabular

extension LabelledData {
    /// A CSV file's numbers read before the model is known, while a child process imports the model
    /// (``ModelIO/load(_:whileRunning:)``): on a two-core machine the import and the reading then take
    /// the time of the longer instead of the sum (T1 of issue 10: a 47 KB `.keras` file and 20,000 rows).
    ///
    /// It holds what most training files are: every field of every data row a finite number (the
    /// header, if any, aside), the target columns selected by `--target` (which needs no model), and the
    /// inputs among the other columns. Reading stops at the first field that is not such a number, a
    /// ragged row or any other error, and nothing is kept: ``LabelledData/init(path:targets:inputWidth:modelInputNames:loss:outputWidth:classLabels:missing:prefetched:fastPath:inputs:)``
    /// then reads the file the ordinary way, after the model, so errors are reported exactly as
    /// without prefetching (a bad model first, then every bad value). The values are parsed by the
    /// same reader and number parser as the ordinary path, so they are the same floats.
    public final class Prefetch {
        /// What the file started with (compared with the ordinary reader's view before use).
        let header: [String]?
        let columnCount: Int
        /// Target columns (0-based, in `--target` order) and the other columns (file order).
        let targetColumns: [Int]
        let otherColumns: [Int]
        /// `[rows, otherColumns.count]` and `[rows, targetColumns.count]`, row-major: each read
        /// straight into its own array (no table to cut them out of: that copy was 63 MB for T2).
        var others: [Float]
        var targetValues: [Float]
        var rows: Int
        /// The file line of the first data row; each data row takes one line (checked: a row that
        /// took more would have a quoted field, which is not a number).
        let firstLine: Int

        private init(header: [String]?, columnCount: Int, targetColumns: [Int], otherColumns: [Int],
                     others: [Float], targetValues: [Float], rows: Int, firstLine: Int) {
            self.header = header; self.columnCount = columnCount; self.targetColumns = targetColumns; self.otherColumns = otherColumns
            self.others = others; self.targetValues = targetValues; self.rows = rows; self.firstLine = firstLine
        }

        /// Rows read per ``NumericCSVReader/readRows(max:columns:into:)`` call, between two polls.
        static let rowsPerPoll = 4096

        /// Reads `path` if it is a regular file whose data rows are all finite numbers.
        /// - Parameter keepGoing: polled every ``rowsPerPoll`` rows; reading stops (nil) once it
        ///   returns false (the model import failed, so its error should not wait for a long file).
        /// - Returns: nil when the assumption does not hold, reading was stopped, or anything failed.
        /// - Parameter threads: threads the CSV reader's fast path may parse on (``NumericCSVReader/threads``).
        public static func read(path: String, targets: [String], threads: Int = Network.defaultThreads,
                                keepGoing: () -> Bool = { true }) -> Prefetch? {
            var st = stat()
            guard path != "-", stat(path, &st) == 0, st.st_mode & S_IFMT == S_IFREG else { return nil }
            return read(size: Int(st.st_size), targets: targets, threads: threads, keepGoing: keepGoing) { try NumericCSVReader(CSVReader(path: path)) }
        }

        /// Reads the rows `open` gives (a whole file, or the part of one a rank of a distributed run
        /// reads) when they are all finite numbers; `size` bounds the bytes they take (for the guess
        /// of the arrays' sizes).
        static func read(size: Int, targets: [String], threads: Int = Network.defaultThreads,
                         keepGoing: () -> Bool = { true }, open: () throws -> NumericCSVReader) -> Prefetch? {
            do {
                let reader = try open()
                reader.threads = max(1, threads)
                var targetColumns: [Int] = [], isTarget = [Bool](repeating: false, count: reader.columnCount)
                for t in targets {
                    for c in try ColumnSelector(t).resolve(in: reader) where !isTarget[c] {
                        isTarget[c] = true
                        targetColumns.append(c)
                    }
                }
                let otherColumns = (0..<reader.columnCount).filter { !isTarget[$0] }
                let columnCount = reader.columnCount
                guard try reader.nextRow() else { return nil }
                let firstLine = reader.currentLine
                // Room for the rows the file holds if they are as long as the first, with a quarter
                // more in case they are shorter (each field takes a byte and a separator at least,
                // which bounds the guess), so that the arrays are not copied as they grow: room not
                // written to costs address space, not memory. Never more than the memory budget
                // (``MemoryBudget``) holds: beyond it the arrays grow as they fill.
                var rowBytes = columnCount
                for c in 0..<columnCount { rowBytes += reader.csv.withField(c) { $0.count } }
                let budgetRows = Int(min(MemoryBudget.bytes() / 4, UInt64(Int.max / 2))) / max(columnCount, 1)
                let expectedRows = min(size / rowBytes * 5 / 4 + 64, size / (2 * max(columnCount, 1)) + 1, budgetRows)
                var others: [Float] = [], targetValues: [Float] = []
                LargeArray.reserve(&others, expectedRows * otherColumns.count)
                LargeArray.reserve(&targetValues, expectedRows * targetColumns.count)
                for c in otherColumns { others.append(try reader.value(c)) }
                for c in targetColumns { targetValues.append(try reader.value(c)) }
                var rows = 1
                while true {
                    let n = try reader.readRows(max: rowsPerPoll, columns: otherColumns, into: &others,
                                                secondColumns: targetColumns, into: &targetValues)
                    if n == 0 { break }
                    rows += n
                    if !keepGoing() { return nil }
                }
                guard reader.currentLine == firstLine + rows - 1 else { return nil }
                return Prefetch(header: reader.header, columnCount: columnCount, targetColumns: targetColumns,
                                otherColumns: otherColumns, others: others, targetValues: targetValues, rows: rows, firstLine: firstLine)
            } catch {
                return nil
            }
        }

        /// The inputs (`inputColumns`, in that order), numeric targets and lines, when this prefetch
        /// fits what the ordinary reader found: the same header and width, the same target columns,
        /// and inputs among the other columns. Hands its arrays over (a second call returns nil).
        func take(header: [String]?, columnCount: Int, inputColumns: [Int], targetColumns: [Int]) -> (x: [Float], y: [Float], lines: [Int])? {
            guard rows > 0, header == self.header, columnCount == self.columnCount, targetColumns == self.targetColumns else { return nil }
            var position = [Int](repeating: -1, count: columnCount)
            for (i, c) in otherColumns.enumerated() { position[c] = i }
            guard inputColumns.allSatisfy({ $0 >= 0 && $0 < columnCount && position[$0] >= 0 }) else { return nil }
            let rows = self.rows
            // The inputs are usually all the other columns in file order: then they are handed over as read.
            let x = inputColumns == otherColumns ? others
                : Self.gather(others, rows: rows, width: otherColumns.count, positions: inputColumns.map { position[$0] })
            let lines = Array(firstLine..<(firstLine + rows))
            let y = targetValues
            others = []
            targetValues = []
            self.rows = 0
            return (x, y, lines)
        }

        /// Columns `positions` of a `[rows, width]` table, row-major; a run of consecutive
        /// positions is copied at once.
        static func gather(_ table: [Float], rows: Int, width: Int, positions: [Int]) -> [Float] {
            let k = positions.count
            guard k > 0 else { return [] }
            let contiguous = positions.enumerated().allSatisfy { $0.element == positions[0] + $0.offset }
            return [Float](unsafeUninitializedCapacity: rows * k) { out, count in
                table.withUnsafeBufferPointer { src in
                    let s = src.baseAddress!, d = out.baseAddress!
                    for r in 0..<rows {
                        let row = s + r * width, to = d + r * k
                        if contiguous {
                            to.initialize(from: row + positions[0], count: k)
                        } else {
                            for (j, p) in positions.enumerated() { (to + j).initialize(to: row[p]) }
                        }
                    }
                }
                count = rows * k
            }
        }
    }
}
