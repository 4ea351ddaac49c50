import Foundation
import Tabular

extension LabelledData {
    /// A CSV file's numbers read before the model is known, while a child process imports the model
    /// (``ModelIO/load(_:whileRunning:)``): on a two-core machine the import and the reading then take
    /// the time of the longer instead of the sum (T1 of issue 10: a 47 KB `.keras` file and 20,000 rows).
    ///
    /// It holds what most training files are: every field of every data row a finite number (the
    /// header, if any, aside), the target columns selected by `--target` (which needs no model), and the
    /// inputs among the other columns. Reading stops at the first field that is not such a number, a
    /// ragged row or any other error, and nothing is kept: ``LabelledData/init(path:targets:inputWidth:modelInputNames:loss:outputWidth:classLabels:missing:prefetched:)``
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
        /// `[rows, otherColumns.count]` and `[rows, targetColumns.count]`, row-major.
        var others: [Float]
        var targets: [Float]
        /// The file line of each data row.
        var lines: [Int]

        private init(header: [String]?, columnCount: Int, targetColumns: [Int], otherColumns: [Int], others: [Float], targets: [Float], lines: [Int]) {
            self.header = header; self.columnCount = columnCount; self.targetColumns = targetColumns
            self.otherColumns = otherColumns; self.others = others; self.targets = targets; self.lines = lines
        }

        /// Reads `path` if it is a regular file whose data rows are all finite numbers.
        /// - Parameter keepGoing: polled every 1024 rows; reading stops (nil) once it returns false
        ///   (the model import failed, so its error should not wait for a long file).
        /// - Returns: nil when the assumption does not hold, reading was stopped, or anything failed.
        public static func read(path: String, targets: [String], keepGoing: () -> Bool = { true }) -> Prefetch? {
            var st = stat()
            guard path != "-", stat(path, &st) == 0, st.st_mode & S_IFMT == S_IFREG else { return nil }
            do {
                let reader = try NumericCSVReader(CSVReader(path: path))
                var targetColumns: [Int] = [], isTarget = [Bool](repeating: false, count: reader.columnCount)
                for t in targets {
                    for c in try ColumnSelector(t).resolve(in: reader) where !isTarget[c] {
                        isTarget[c] = true
                        targetColumns.append(c)
                    }
                }
                let otherColumns = (0..<reader.columnCount).filter { !isTarget[$0] }
                let columnCount = reader.columnCount
                var others: [Float] = [], values: [Float] = [], lines: [Int] = []
                var rowTargets = [Float](repeating: 0, count: targetColumns.count)
                var targetSlot = [Int](repeating: -1, count: columnCount)
                for (i, c) in targetColumns.enumerated() { targetSlot[c] = i }
                while try reader.nextRow() {
                    if lines.count & 1023 == 1023, !keepGoing() { return nil }
                    for c in 0..<columnCount {
                        let v = try reader.value(c)
                        let slot = targetSlot[c]
                        if slot < 0 { others.append(v) } else { rowTargets[slot] = v }
                    }
                    values.append(contentsOf: rowTargets)
                    lines.append(reader.currentLine)
                }
                return Prefetch(header: reader.header, columnCount: columnCount, targetColumns: targetColumns,
                                otherColumns: otherColumns, others: others, targets: values, lines: lines)
            } catch {
                return nil
            }
        }

        /// The inputs (`inputColumns`, in that order), numeric targets and lines, when this prefetch
        /// fits what the ordinary reader found: the same header and width, the same target columns,
        /// and inputs among the other columns. Hands its arrays over (a second call returns nil).
        func take(header: [String]?, columnCount: Int, inputColumns: [Int], targetColumns: [Int]) -> (x: [Float], y: [Float], lines: [Int])? {
            guard !lines.isEmpty, header == self.header, columnCount == self.columnCount, targetColumns == self.targetColumns else { return nil }
            var position = [Int](repeating: -1, count: columnCount)
            for (i, c) in otherColumns.enumerated() { position[c] = i }
            guard inputColumns.allSatisfy({ $0 >= 0 && $0 < columnCount && position[$0] >= 0 }) else { return nil }
            var x: [Float]
            if inputColumns == otherColumns {
                x = others
            } else {
                let width = otherColumns.count, rows = lines.count
                x = [Float](repeating: 0, count: rows * inputColumns.count)
                others.withUnsafeBufferPointer { src in
                    x.withUnsafeMutableBufferPointer { dst in
                        var o = 0
                        for r in 0..<rows {
                            let row = r * width
                            for c in inputColumns { dst[o] = src[row + position[c]]; o += 1 }
                        }
                    }
                }
            }
            let result = (x, targets, lines)
            others = []; targets = []; lines = []
            return result
        }
    }
}
