#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reading a regular file in place: ``CSVReader/init(path:delimiter:)`` maps it
/// (``CSVFileMapping``) and the reader's buffer *is* the file, so neither the tokenizer nor the
/// fast path waits for `read(2)` to copy it (≈ 17 ms of kernel time for T2's 141 MB, a tenth of
/// the parsing).
///
/// The reader behaves as if it had read the file: the same records, lines, offsets and messages.
/// The mapping covers the file's size at opening; when the reader gets to its end (or needs bytes
/// after a last line without a line break) it copies what is left unread into a buffer of its own,
/// drops the mapping and goes on with `read(2)` from there, so bytes appended meanwhile are read as
/// before. Pipes, FIFOs, standard input and devices are never mapped.
///
/// A file truncated by another program while mapped would kill the process with SIGBUS at the
/// first lost page; the `CFileMap` guard puts zeros there instead, and the reader checks the
/// mapping's mark after every record and every batch of the fast path (one atomic load) and
/// throws ``CSVError/unreadable(file:reason:)`` ("truncated … while being read") before anything
/// read from the zeros is returned or reported. Pages the reader has passed are given back every
/// 8 MiB (``CSVFileMapping/release(upTo:)``), so a large file adds a window, not its size, to the
/// process' resident memory, as the read buffer did.
extension CSVReader {
    /// Maps `source`'s file when it is a regular, non-empty file that can be mapped; otherwise
    /// (or if anything fails) the reader stays on `read(2)`. Call before the first read.
    func mapFile(_ source: FileDescriptorSource) {
        var st = stat()
        guard mapping == nil, sourceBytes == 0, fstat(source.fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG, st.st_size > 0,
              let m = CSVFileMapping(fd: source.fd, size: Int(st.st_size)) else { return }
        buffer.deallocate()
        mapping = m
        buffer = m.base
        bufferCapacity = m.size
        position = 0
        end = m.size
        sourceBytes = m.size
        refills += 1
    }

    /// Leaves the mapped file for a buffer of its own holding the bytes not yet read (with room for
    /// a read after them), positioned to read the file on from where the mapping ends. Nothing when
    /// not mapped.
    /// - Throws: ``CSVError/unreadable(file:reason:)`` when the file was truncated while mapped.
    func leaveMapping() throws {
        guard let m = mapping else { return }
        let pending = end - position
        let own = UnsafeMutablePointer<UInt8>.allocate(capacity: pending + ownBufferSize)
        if pending > 0 { own.update(from: buffer + position, count: pending) }
        try checkMapping()
        guard let fd = (source as? FileDescriptorSource)?.fd, lseek(fd, off_t(m.size), SEEK_SET) >= 0 else {
            let reason = String(cString: strerror(errno))
            own.deallocate()
            throw CSVError.unreadable(file: fileName, reason: reason)
        }
        buffer = own
        bufferCapacity = pending + ownBufferSize
        position = 0
        end = pending
        mapping = nil
    }

    /// - Throws: ``CSVError/unreadable(file:reason:)`` when the mapped file was truncated after
    ///   mapping and the reader touched a page it no longer has (what it read there were zeros).
    @inline(__always)
    func checkMapping() throws {
        guard let m = mapping, m.wasTruncated else { return }
        throw CSVError.unreadable(file: fileName, reason: "the file was truncated by another program while being read (it was \(m.size) bytes)")
    }
}
