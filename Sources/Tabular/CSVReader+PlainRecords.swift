import CFastFloat
import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The CSV reader's fast path for numeric data: whole records of plain numbers parsed straight from
/// the read buffer to float32, without the tokenizer's per-field copies, on one or more threads.
///
/// A *plain* record is what numeric CSV files nearly always hold: the expected number of fields,
/// unquoted, each parsed column a number without spaces or `+` (`-12.5`, `3e-7`, `.5`), ending in
/// LF or CRLF (`nnkit_parse_plain_numeric_records` in `CFastFloat` states it exactly). Anything else
/// (quotes, a bad or empty value, a ragged row, a lone CR, the last record without a line break)
/// is left to ``CSVReader/next()`` and ``NumericCSVReader``'s field-by-field path, one record at a
/// time, so the dialect, the values and every error message (line and column) are the general
/// path's: the fast path only ever *declines* a record, it never judges one.
///
/// Both paths give the same floats: each is fast_float's correctly rounded parse of the same bytes
/// (``NumberParser``; `NumericCSVReaderTests` compares them on 1.2 million generated strings
/// against `strtof`).
///
/// Two or more threads split the buffered records at line boundaries into equal parts, parsed at
/// once into their final rows. A part's rows count only when every part before it parsed all its
/// records: a part that declines a record ends the run there, and the general path takes that
/// record. Because a declined record is the only way a part can end early, and a part before a
/// quoted line break would decline the quote first, a part never starts inside a quoted field
/// whose rows are used. After a declined record the rest of that buffer is parsed on one thread,
/// so a file with many declined records (quoted text, `--missing drop` rows) never repeats work.
extension CSVReader {
    /// Parts smaller than this are not worth a thread hand-off (≈ 0.2 ms of parsing).
    static let parallelPartBytes = 64 << 10

    /// Whether the fast path can read this file at all: the delimiter is not a byte a number can
    /// hold, nor a quote or a line break.
    var delimiterAllowsPlainRecords: Bool {
        !Array("0123456789.eE+-\"\r\n".utf8).contains(delimiter)
    }

    /// Makes at least one whole line (up to a line feed) of unread bytes available when the input
    /// has one, moving a partial record to the front of the buffer and reading after it.
    /// - Returns: the end (exclusive, in `buffer`) of the last whole line buffered; nil when there
    ///   is none (the input ends without a line feed, or a record is longer than the buffer).
    private func bufferWholeLines() throws -> Int? {
        if let last = lastLineFeed() { return last + 1 }
        if sourceDone { return nil }
        if position > 0 {
            let pending = end - position
            if pending > 0 { buffer.update(from: buffer + position, count: pending) }
            position = 0
            end = pending
        }
        guard end < bufferCapacity else { return nil }
        let n = try source.read(into: UnsafeMutableRawBufferPointer(start: buffer + end, count: bufferCapacity - end))
        if n == 0 {
            sourceDone = true
            return nil
        }
        end += n
        sourceBytes += n
        refills += 1
        return lastLineFeed().map { $0 + 1 }
    }

    /// The offset of the last LF in `position..<end`.
    private func lastLineFeed() -> Int? {
        var i = end - 1
        while i >= position {
            if buffer[i] == UInt8(ascii: "\n") { return i }
            i -= 1
        }
        return nil
    }

    /// The first `count` line ends (offsets just after each LF) in `position..<limit`, at most
    /// `count`, into `ends`.
    private func lineEnds(upTo limit: Int, count: Int, into ends: inout [Int]) {
        ends.removeAll(keepingCapacity: true)
        var p = position
        while ends.count < count && p < limit {
            guard let hit = memchr(buffer + p, Int32(UInt8(ascii: "\n")), limit - p) else { break }
            p = buffer.distance(to: hit.assumingMemoryBound(to: UInt8.self)) + 1
            ends.append(p)
        }
    }

    /// Prepares a fast read of at most `maxRecords` records: buffers whole lines and returns the
    /// number of candidate records (lines) available now, 0 when the general path must read the
    /// next record. Call ``readPlainNumericRecords(_:fieldCount:slots:width:into:second:threads:)`` next
    /// with the same plan.
    func planPlainRecords(max maxRecords: Int, plan: inout PlainRecordPlan) throws -> Int {
        plan.lineEnds.removeAll(keepingCapacity: true)
        guard maxRecords > 0, started, delimiterAllowsPlainRecords, let limit = try bufferWholeLines() else { return 0 }
        if plan.refills != refills {
            // New bytes: threads again.
            plan.refills = refills
            plan.declined = false
            plan.lookahead = PlainRecordPlan.minimumLookahead
        }
        // After a decline, look ahead a few lines at a time (doubling while records are plain), so
        // that frequent declines do not each cost a scan of a whole batch of lines.
        lineEnds(upTo: limit, count: plan.declined ? min(maxRecords, plan.lookahead) : maxRecords, into: &plan.lineEnds)
        return plan.lineEnds.count
    }

    /// Parses the records that ``planPlainRecords(max:plan:)`` found, stopping before the first
    /// that is not plain, into `out` (`[records, width]`, each record's field `f` at column
    /// `slots[f]` when `0 <= slots[f] < width`) and `second` (`[records, second.width]`, field `f`
    /// at column `slots[f] - width` when `slots[f] >= width`). Advances past the records parsed and
    /// counts their lines.
    /// - Returns: the number of records parsed (0: the general path reads the next record).
    func readPlainNumericRecords(_ plan: inout PlainRecordPlan, fieldCount: Int, slots: UnsafePointer<Int32>, width: Int,
                                 into out: UnsafeMutablePointer<Float>, second: (width: Int, out: UnsafeMutablePointer<Float>?) = (0, nil),
                                 threads: Int) -> Int {
        let ends = plan.lineEnds
        guard let limit = ends.last else { return 0 }
        let parts = plan.declined ? 1 : max(1, min(threads, (limit - position) / Self.parallelPartBytes, ends.count))
        let start = position
        let buf = buffer, delim = delimiter, maxBytes = maxRecordBytes
        var parsed = 0, consumed = 0
        if parts == 1 {
            parsed = nnkit_parse_plain_numeric_records(buf + start, limit - start, delim, fieldCount, slots, width,
                                                       out, second.width, second.out, ends.count, maxBytes, &consumed)
        } else {
            // Part p: records [first[p], first[p + 1]).
            let first = (0...parts).map { $0 * ends.count / parts }
            // Each part reads its own bytes and writes its own rows and result.
            nonisolated(unsafe) let results = UnsafeMutablePointer<(records: Int, bytes: Int)>.allocate(capacity: parts)
            defer { results.deallocate() }
            nonisolated(unsafe) let buf = buf, slots = slots, out = out, secondOut = second.out
            let secondWidth = second.width
            DispatchQueue.concurrentPerform(iterations: parts) { p in
                let from = first[p] == 0 ? start : ends[first[p] - 1]
                let to = ends[first[p + 1] - 1]
                var bytes = 0
                let n = nnkit_parse_plain_numeric_records(buf + from, to - from, delim, fieldCount, slots, width,
                                                          out + first[p] * width, secondWidth, secondOut.map { $0 + first[p] * secondWidth },
                                                          first[p + 1] - first[p], maxBytes, &bytes)
                results[p] = (n, bytes)
            }
            for p in 0..<parts {
                parsed += results[p].records
                consumed += results[p].bytes
                if results[p].records < first[p + 1] - first[p] { break }
            }
        }
        if parsed < ends.count {
            plan.declined = true
            plan.lookahead = PlainRecordPlan.minimumLookahead
        } else if plan.declined {
            plan.lookahead = min(2 * plan.lookahead, 1 << 16)
        }
        guard parsed > 0 else { return 0 }
        position = start + consumed
        line += parsed
        recordLine = line - 1
        // The record fields of ``next()`` no longer describe the current record.
        fieldByteCount = 0
        fieldEndCount = 0
        return parsed
    }
}

/// Scratch of the fast path between ``CSVReader/planPlainRecords(max:plan:)`` and
/// ``CSVReader/readPlainNumericRecords(_:fieldCount:slots:width:into:second:threads:)``.
struct PlainRecordPlan {
    /// Ends of the candidate records (offsets in the read buffer just after each LF).
    var lineEnds: [Int] = []
    /// ``CSVReader/refills`` when `declined` was last reset: threads are used again once new bytes
    /// arrive.
    var refills = -1
    /// A record in the buffered bytes was declined: the rest of them is parsed on one thread, at
    /// most `lookahead` records per call.
    var declined = false
    var lookahead = minimumLookahead
    static let minimumLookahead = 16
}
