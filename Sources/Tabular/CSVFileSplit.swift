#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A CSV file cut into byte ranges at record boundaries, so that several readers (the ranks of a
/// distributed run) each parse one part and together read every record exactly once.
///
/// A reader that starts in the middle of a file cannot see whether it is inside a quoted field,
/// where a line break is data (``CSVReader``'s dialect). The split therefore works in two steps:
/// each part first counts the quote bytes of its own nominal range (``quoteCount(in:)``); the
/// parts share the counts, so each knows the parity of the quotes before any offset; then a part's
/// first record starts at the first line break after its nominal start that is outside quotes
/// (``recordStart(atOrAfter:quotesBefore:)``). Outside quotes the number of quote bytes before an
/// offset is even: an opening and a closing quote, and each `""` inside, come in pairs. In a file
/// without quotes this is simply the first line break. (In a file with a quoting error the parity
/// is right up to the first error, which the part holding it reports.)
///
/// A record starts at ``dataStart`` and after each LF, lone CR or CRLF outside quotes, before the
/// end of the file; part `p` reads the records that start in `start(p) ..< start(p + 1)`.
public final class CSVFileSplit {
    /// Name used in error messages.
    public let path: String
    /// The file's size in bytes when opened.
    public let size: Int
    /// Where the first data record starts (after a header record, if any).
    public let dataStart: Int
    private let fd: Int32

    /// Refuses `path` unless it names a regular file (after symbolic links), without opening it:
    /// opening a FIFO blocks until a writer comes, so a rank that found the writer gone would wait
    /// forever before any collective (and its timeout) could end the job.
    /// - Throws: ``CSVError/unreadable(file:reason:)``: the path does not exist or is not a regular file.
    public static func requireRegularFile(_ path: String) throws {
        var st = stat()
        guard stat(path, &st) == 0 else { throw CSVError.unreadable(file: path, reason: String(cString: strerror(errno))) }
        if let refusal = refusal(path, mode: st.st_mode) { throw refusal }
    }

    /// Why a file of `mode` cannot be split; nil for a regular file.
    private static func refusal(_ path: String, mode: mode_t) -> CSVError? {
        switch mode & S_IFMT {
        case S_IFREG: nil
        case S_IFDIR: .unreadable(file: path, reason: "it is a directory")
        default: .unreadable(file: path, reason: "not a regular file (every rank of a distributed run opens it by name)")
        }
    }

    /// Opens `path` (a regular file; not standard input).
    /// - Throws: ``CSVError/unreadable(file:reason:)``.
    public init(path: String, dataStart: Int) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw CSVError.unreadable(file: path, reason: String(cString: strerror(errno))) }
        // (Checked again on the open file: the path may have been replaced since the check by name.)
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw CSVError.unreadable(file: path, reason: reason)
        }
        if let refusal = Self.refusal(path, mode: st.st_mode) {
            close(fd)
            throw refusal
        }
        self.fd = fd
        self.path = path
        self.size = Int(st.st_size)
        self.dataStart = min(max(0, dataStart), Int(st.st_size))
    }

    deinit { close(fd) }

    /// The nominal start of part `part` of `parts`: `dataStart + ⌊(size − dataStart) · part / parts⌋`
    /// (`size` for `part == parts`). Computed without overflow for any file size.
    public func nominalStart(part: Int, of parts: Int) -> Int {
        let span = size - dataStart
        let (q, r) = span.quotientAndRemainder(dividingBy: max(parts, 1))
        return dataStart + q * part + r * part / max(parts, 1)
    }

    /// Reads up to `count` bytes at `offset` into `buffer`; fewer only at the end of the file.
    public func read(at offset: Int, count: Int, into buffer: UnsafeMutableRawPointer) throws -> Int {
        var done = 0
        while done < count {
            let n = pread(fd, buffer + done, count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw CSVError.unreadable(file: path, reason: String(cString: strerror(errno)))
            }
            if n == 0 { break }
            done += n
        }
        return done
    }

    /// Calls `body` with the bytes of `range` (clamped to the file), a chunk at a time, until it
    /// returns false.
    public func forEachChunk(in range: Range<Int>, chunk: Int = 1 << 20, _ body: (UnsafeRawBufferPointer) throws -> Bool) throws {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: chunk, alignment: 16)
        defer { buffer.deallocate() }
        var at = max(range.lowerBound, 0)
        let stop = min(range.upperBound, size)
        while at < stop {
            let n = try read(at: at, count: min(chunk, stop - at), into: buffer)
            if n == 0 { break }
            guard try body(UnsafeRawBufferPointer(start: buffer, count: n)) else { return }
            at += n
        }
    }

    /// The number of `"` bytes in `range`.
    public func quoteCount(in range: Range<Int>) throws -> Int {
        var count = 0
        try forEachChunk(in: range) { bytes in
            var p = bytes.baseAddress!
            let end = p + bytes.count
            while p < end, let hit = memchr(p, Int32(UInt8(ascii: "\"")), end - p) {
                count += 1
                p = UnsafeRawPointer(hit) + 1
            }
            return true
        }
        return count
    }

    /// The first record start at or after `offset`, given the number of quote bytes in
    /// `dataStart ..< offset` (only its parity matters); ``size`` when no record starts there.
    public func recordStart(atOrAfter offset: Int, quotesBefore: Int) throws -> Int {
        if offset <= dataStart { return dataStart }
        if offset >= size { return size }
        let lf = UInt8(ascii: "\n"), cr = UInt8(ascii: "\r"), quote = UInt8(ascii: "\"")
        var inQuotes = quotesBefore & 1 == 1
        var previous: UInt8 = 0
        _ = try withUnsafeMutableBytes(of: &previous) { try read(at: offset - 1, count: 1, into: $0.baseAddress!) }
        var q = offset
        var found: Int?
        // Small chunks first: the boundary is usually within a line of the nominal start.
        try forEachChunk(in: offset..<size, chunk: 64 << 10) { bytes in
            for b in bytes {
                // q starts a record when the byte before it ends a line outside quotes (a CR only
                // when no LF follows it: CRLF ends the line after the LF).
                if !inQuotes && (previous == lf || (previous == cr && b != lf)) { found = q; return false }
                if b == quote { inQuotes.toggle() }
                previous = b
                q += 1
            }
            return true
        }
        return found ?? size
    }
}

/// Serves bytes `range` of a file (with `pread`, so several may share one ``CSVFileSplit``): the
/// source of a ``CSVReader`` that parses one part of a split file.
public final class FileRangeSource: ByteSource {
    private let file: CSVFileSplit
    private var position: Int
    private let end: Int

    public init(_ file: CSVFileSplit, range: Range<Int>) {
        self.file = file
        self.position = range.lowerBound
        self.end = min(range.upperBound, file.size)
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = min(buffer.count, end - position)
        guard n > 0 else { return 0 }
        let got = try file.read(at: position, count: n, into: buffer.baseAddress!)
        position += got
        return got
    }
}
