import Foundation
import Format
import Runtime
import Tabular

extension LabelledData {
    /// One rank's part of the training file of a distributed run (`nnrun train --distributed`):
    /// the rows of its byte range, encoded as a single run would encode them (see
    /// ``read(path:targets:inputWidth:modelInputNames:loss:outputWidth:classLabels:missing:inputs:group:)``).
    struct Shard {
        /// This rank's rows (its *home* rows), with the targets encoded and `lines` the file's lines;
        /// `droppedRows` and `warnings` are the whole file's.
        var data: LabelledData
        /// `size + 1` offsets: rank q holds the file's data rows `starts[q] ..< starts[q + 1]`
        /// (counted after `--missing drop`).
        var starts: [Int]
        /// The bytes this rank parsed.
        var bytes: Range<Int>
        /// A hash of what every rank must see alike: the file's size, its header bytes and the bytes
        /// around every split point (``CSVFileSplit``), for the agreement before training.
        var fileHash: UInt64
        /// Data rows of the whole file.
        var rows: Int { starts.last ?? 0 }
    }

    /// What a rank tells the others about its part after parsing it (JSON, one small message).
    private struct PartSummary: Codable {
        /// A CSV error (of the file's structure, a bad value or a column) in this part.
        var failed: Bool
        var rows: Int
        var dropped: Int
        /// Lines the part spans (its reader's line count at the end, minus 1).
        var lines: Int
        /// For text label targets without the model's labels: whether every label of the part is a
        /// number, and its distinct labels (trimmed; nil when more than ``labelLimit``).
        var labelsAreNumbers: Bool
        var labels: [String]?
        /// Targets outside [0, 1] under binary cross-entropy: how many, and the first one's line
        /// (in the part, from 1), column index among the targets and value.
        var offences: Int
        var offenceLine: Int
        var offenceColumn: Int
        var offenceValue: Float
    }

    /// The most distinct labels one rank sends (a file with more cannot fit any model's classes).
    static let labelLimit = 1 << 16

    /// The environment variable that makes each rank print one line about its part (tests).
    static let shardDebugVariable = "NNKIT_DEBUG_SHARDS"

    /// Reads rank `group.rank`'s byte range of `path` (``CSVFileSplit``), agreeing with the other
    /// ranks, in a few small messages, on what needs every row: the global row and line numbers,
    /// the class labels (the sorted distinct labels of the whole file), the rows `--missing drop`
    /// left out, the warning on targets outside [0, 1], and whether the file has an error.
    ///
    /// Errors: when any rank finds an error in its part (a bad value, a quoting error, a ragged
    /// row, a bad column), rank 0 reads the whole file as a single run does and throws that run's
    /// error (with the file's line and column), and the other ranks throw ``QuietRankFailure``; so
    /// the message is exactly a single run's, printed once. Only a failing run pays for the second read.
    /// - Throws: as ``init(path:targets:inputWidth:modelInputNames:loss:outputWidth:classLabels:missing:prefetched:fastPath:inputs:)``,
    ///   on rank 0; ``QuietRankFailure`` on the others.
    static func read(path: String, targets: [String], inputWidth: Int, modelInputNames: [String]?, loss: LossSpec.Name?,
                     outputWidth: Int?, classLabels: [String]?, missing: MissingPolicy, inputs: [String]? = nil, group: ProcessGroup) throws -> Shard {
        let rank = group.rank, size = group.size
        // (Checked before anything opens it: opening a FIFO would wait for a writer.)
        try CSVFileSplit.requireRegularFile(path)
        // The first record (header or first row), as a single run reads it; the same on every rank.
        let head = try NumericCSVReader(CSVReader(path: path))
        let dataStart = head.header != nil ? head.csv.offset : head.csv.recordOffset
        let firstDataLine = head.header != nil ? head.csv.nextLine : head.csv.recordLine
        let split = try CSVFileSplit(path: path, dataStart: dataStart)
        let nominal = (0...size).map { split.nominalStart(part: $0, of: size) }

        // What every rank must see alike, compared before anything else is exchanged (a different
        // header would give other column counts); bytes elsewhere go unseen (spec/distributed.md).
        var hash = FNV1a()
        for v in [split.size, dataStart] { hash.mix(UInt64(v)) }
        let hashed = [0..<dataStart] + (1..<max(size, 1)).map { q in max(dataStart, nominal[q] - splitWindow)..<(nominal[q] + splitWindow) }
        for range in hashed { try split.forEachChunk(in: range) { hash.mix(bytes: $0); return true } }
        let fileHash = hash.value
        try SetupAgreement.requireEqual(fileHash, group: group, what: "the check of \(path)")

        // Quote parity before each nominal start, from every part's count of its own quote bytes.
        var quotes = [Double](repeating: 0, count: size)
        // (From here on, a read error of this rank alone ends the job from it: RankAloneError.)
        quotes[rank] = Double(try RankAloneError.on { try split.quoteCount(in: nominal[rank]..<nominal[rank + 1]) })
        try group.sum(&quotes, what: "the quote count of \(path)")
        let quotesBefore = (0...size).map { q in Int(quotes[0..<q].reduce(0, +)) }
        let (start, end) = try RankAloneError.on {
            (try split.recordStart(atOrAfter: nominal[rank], quotesBefore: quotesBefore[rank]),
             rank == size - 1 ? split.size : try split.recordStart(atOrAfter: nominal[rank + 1], quotesBefore: quotesBefore[rank + 1]))
        }
        let bytes = start..<max(start, end)

        func partReader() -> NumericCSVReader {
            let csv = CSVReader(source: FileRangeSource(split, range: bytes), fileName: head.fileName, delimiter: head.csv.delimiter,
                                byteOrderMark: false)
            return NumericCSVReader(continuing: csv, header: head.header, columnCount: head.columnCount)
        }
        let reader = partReader()
        var parsed: Parsed?
        do {
            parsed = try parse(reader, targets: targets, inputWidth: inputWidth, modelInputNames: modelInputNames, loss: loss,
                               outputWidth: outputWidth, missing: missing, inputs: inputs,
                               prefetch: { Prefetch.read(size: bytes.count, targets: targets) { partReader() } })
        } catch {
            parsed = nil
        }
        var summary = PartSummary(failed: parsed == nil || parsed!.errorCount > 0, rows: parsed?.lines.count ?? 0, dropped: parsed?.dropped ?? 0,
                                  lines: partLines(parsed, reader), labelsAreNumbers: true, labels: [],
                                  offences: 0, offenceLine: 0, offenceColumn: 0, offenceValue: 0)
        let encoding = parsed?.encoding ?? .numeric
        let modelLabels = classLabels?.count == encoding.classes && encoding.readsLabels
        var labelNumbers: [Float]?
        if let p = parsed, encoding.readsLabels, !modelLabels {
            let numbers = p.labelText.map(number)
            summary.labelsAreNumbers = !numbers.contains { $0 == nil }
            if summary.labelsAreNumbers { labelNumbers = numbers.map { $0! } }
            let distinct = Set(p.labelText.map { $0.trimmingCharacters(in: .whitespaces) })
            summary.labels = distinct.count <= labelLimit ? Array(distinct).sorted() : nil
        }
        if let p = parsed, loss == .binaryCrossentropy {
            // The values the single run's warning looks at: numeric targets, or numeric binary labels.
            let values = encoding.readsLabels ? (encoding == .binary ? labelNumbers : nil) : p.numericTargets
            let width = encoding.readsLabels ? 1 : p.targetColumns.count
            if let values, width > 0, let o = unitIntervalOffences(values, width: width), o.row < p.lines.count {
                (summary.offences, summary.offenceLine, summary.offenceColumn, summary.offenceValue) = (o.count, p.lines[o.row], o.column, o.value)
            }
        }
        let all = try group.allGather(Array(try JSONEncoder().encode(summary)), what: "the summaries of the parts of \(path)")
            .map { try JSONDecoder().decode(PartSummary.self, from: Data($0)) }

        /// Rank 0 reads the whole file as a single run and throws its error; the others stay quiet.
        func wholeFileError() throws -> Never {
            guard rank == 0 else { throw QuietRankFailure() }
            _ = try LabelledData(path: path, targets: targets, inputWidth: inputWidth, modelInputNames: modelInputNames, loss: loss,
                                 outputWidth: outputWidth, classLabels: classLabels, missing: missing, inputs: inputs)
            throw NNRunError.distributed("the ranks found an error in \(path) that reading the whole file does not find (a file with more than \(labelLimit) distinct labels, or a file that changed while it was read)")
        }
        if all.contains(where: \.failed) { try wholeFileError() }
        let p = parsed!
        let rowCounts = all.map(\.rows), totalDropped = all.map(\.dropped).reduce(0, +), totalRows = rowCounts.reduce(0, +)
        if totalRows + totalDropped == 0 && head.header != nil { throw CSVError.noDataRows(file: head.fileName) }
        if totalRows == 0 && totalDropped > 0 { throw p.allDropped(rows: totalDropped) }

        // Class labels of the whole file, when they are text (not the model's, not all numbers).
        var agreed: [String]?
        if encoding.readsLabels, !modelLabels, !all.allSatisfy(\.labelsAreNumbers) {
            guard all.allSatisfy({ $0.labels != nil }) else { try wholeFileError() }
            let union = Array(Set(all.flatMap { $0.labels! }))
            // The single run's order and check: encodeLabels over the distinct labels themselves.
            let (column, name) = p.targetPlaces[0]
            let labels = try encodeLabels(union, lines: union.map { _ in 0 }, encoding: encoding, known: nil,
                                          place: (file: p.file, column: column, name: name), record: { _ in }).labels
            agreed = labels
        }

        // Lines: this part starts on the line after those of the parts before it.
        let firstLine = firstDataLine + all[0..<rank].map(\.lines).reduce(0, +)
        var shifted = p
        shifted.lines = p.lines.map { $0 - 1 + firstLine }
        var data: LabelledData?
        do {
            data = try LabelledData(shifted, loss: loss, classLabels: classLabels, agreedLabels: agreed, unitInterval: false)
        } catch {
            data = nil
        }
        var encodingFailed = [Double](repeating: 0, count: size)
        encodingFailed[rank] = data == nil ? 1 : 0
        try group.sum(&encodingFailed, what: "the target encoding of \(path)")
        if encodingFailed.contains(where: { $0 > 0 }) { try wholeFileError() }

        var out = data!
        out.droppedRows = totalDropped
        out.totalRows = totalRows
        let labelsAreNumbers = !encoding.readsLabels || agreed == nil
        if labelsAreNumbers, let q = all.indices.first(where: { all[$0].offences > 0 }) {
            let lineBefore = firstDataLine + all[0..<q].map(\.lines).reduce(0, +) - 1
            out.warnings = [unitIntervalText(count: all.map(\.offences).reduce(0, +), line: all[q].offenceLine + lineBefore,
                                             column: p.targetPlaces[all[q].offenceColumn], value: all[q].offenceValue, file: p.file)]
        }
        if ProcessInfo.processInfo.environment[shardDebugVariable] != nil {
            FileHandle.standardError.write(Data("shard: rank \(rank) of \(size): bytes \(bytes.lowerBound)..<\(bytes.upperBound) of \(split.size), parsed \(p.lines.count + p.dropped) rows, kept \(out.rows)\n".utf8))
        }

        var starts = [0]
        for c in rowCounts { starts.append(starts.last! + c) }
        return Shard(data: out, starts: starts, bytes: bytes, fileHash: fileHash)
    }

    /// The lines a part spans: its reader's count, or, when the fast path (``Prefetch``, its own
    /// reader) read the part, its row count: the fast path takes only parts whose every record is
    /// one line with a line break (the last part may lack the final one; no later part counts on it).
    private static func partLines(_ parsed: Parsed?, _ reader: NumericCSVReader) -> Int {
        guard let parsed, reader.rowsRead == 0, !parsed.lines.isEmpty else { return reader.csv.nextLine - 1 }
        return parsed.lines.count
    }

    /// Bytes on each side of a split point that every rank hashes for the agreement.
    static let splitWindow = 32 << 10
}

/// A rank's failure whose message another rank prints (the agreement ends every rank with that
/// rank's status; this one prints nothing).
struct QuietRankFailure: Error, CustomStringConvertible {
    var description: String { "another rank reports the error" }
}
