import Foundation
import ZIPFoundation

/// Safe reading of Keras 3 `.keras` archives (ZIP files holding `config.json`, `metadata.json`
/// and `model.weights.h5`).
///
/// Safety rules, checked before anything is extracted:
/// - every entry path is relative and stays inside the archive: no leading `/` or `\`, no `\`, no
///   drive letter, no `..` component, no NUL; symbolic-link entries are refused;
/// - at most ``Limits/maxEntries`` entries; each member nnkit reads appears once;
/// - declared uncompressed sizes are capped per member (``Limits``), and a compressed member may
///   expand at most ``Limits/maxCompressionRatio`` times (members under 1 MiB exempt);
/// - while extracting, the bytes actually produced are counted and extraction stops as soon as they
///   exceed the declared size or the cap (a lying header cannot make it write more).
/// `model.weights.h5` is extracted to a private temporary directory (mode 0700) that is removed
/// when ``withContents(of:limits:_:)`` returns or throws.
public enum KerasArchive {
    public struct Limits: Sendable, Equatable {
        public var maxEntries: Int = 10_000
        public var maxConfigBytes: UInt64 = 64 << 20
        public var maxMetadataBytes: UInt64 = 1 << 20
        public var maxWeightsBytes: UInt64 = 4 << 30
        public var maxCompressionRatio: UInt64 = 1000
        public init() {}
        public static let `default` = Limits()
    }

    /// The members of an opened archive.
    public struct Contents {
        /// `config.json`: the model's configuration with `compile_config`.
        public var config: Data
        /// `metadata.json` (`keras_version`, `date_saved`), when present.
        public var metadata: Data?
        /// The extracted `model.weights.h5` (removed after the body returns).
        public var weightsFile: URL
    }

    public static let configName = "config.json"
    public static let metadataName = "metadata.json"
    public static let weightsName = "model.weights.h5"

    /// Opens `url`, checks it, extracts what nnkit needs and runs `body` with it.
    /// - Throws: ``KerasImportError/badArchive`` for unsafe or malformed archives, ``KerasImportError/io``.
    public static func withContents<T>(of url: URL, limits: Limits = .default, _ body: (Contents) throws -> T) throws -> T {
        let file = url.path
        let archive: Archive
        do { archive = try Archive(url: url, accessMode: .read) } catch {
            throw KerasImportError.badArchive(file: file, entry: "(central directory)", reason: "not a readable ZIP archive: \(error)")
        }
        var found: [String: Entry] = [:]
        var count = 0
        for entry in archive {
            count += 1
            guard count <= limits.maxEntries else {
                throw KerasImportError.badArchive(file: file, entry: entry.path, reason: "more than \(limits.maxEntries) entries")
            }
            let path = entry.path
            if let reason = unsafePathReason(path) { throw KerasImportError.badArchive(file: file, entry: path, reason: reason) }
            if entry.type == .symlink { throw KerasImportError.badArchive(file: file, entry: path, reason: "symbolic links are refused") }
            if [configName, metadataName, weightsName].contains(path) {
                guard found.updateValue(entry, forKey: path) == nil else {
                    throw KerasImportError.badArchive(file: file, entry: path, reason: "appears more than once")
                }
            }
        }
        if found[weightsName] == nil, archive.contains(where: { $0.path == "model.weights.json" }) {
            throw KerasImportError.badArchive(file: file, entry: "model.weights.json", reason: "sharded weights are not supported; save with a single model.weights.h5")
        }
        guard let configEntry = found[configName] else {
            throw KerasImportError.badArchive(file: file, entry: configName, reason: "missing; not a Keras 3 .keras archive")
        }
        guard let weightsEntry = found[weightsName] else {
            throw KerasImportError.badArchive(file: file, entry: weightsName, reason: "missing; not a Keras 3 .keras archive")
        }
        let config = try extractData(archive, configEntry, cap: limits.maxConfigBytes, limits: limits, file: file)
        let metadata = try found[metadataName].map { try extractData(archive, $0, cap: limits.maxMetadataBytes, limits: limits, file: file) }

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nnkit-keras-\(UUID().uuidString)")
        do {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        } catch {
            throw KerasImportError.io(file: file, reason: "cannot create a temporary directory: \((error as NSError).localizedDescription)")
        }
        defer { try? FileManager.default.removeItem(at: dir) }
        let weightsURL = dir.appendingPathComponent(weightsName)
        guard FileManager.default.createFile(atPath: weightsURL.path, contents: nil, attributes: [.posixPermissions: 0o600]),
              let out = try? FileHandle(forWritingTo: weightsURL) else {
            throw KerasImportError.io(file: file, reason: "cannot create a temporary file in \(dir.path)")
        }
        do {
            defer { try? out.close() }
            try extract(archive, weightsEntry, cap: limits.maxWeightsBytes, limits: limits, file: file) { try out.write(contentsOf: $0) }
        }
        return try body(Contents(config: config, metadata: metadata, weightsFile: weightsURL))
    }

    /// Why an entry path is unsafe, or nil when it is a plain relative path inside the archive.
    static func unsafePathReason(_ path: String) -> String? {
        if path.isEmpty { return "empty path" }
        if path.contains("\0") { return "path contains a NUL byte" }
        if path.hasPrefix("/") || path.hasPrefix("\\") { return "absolute path" }
        if path.contains("\\") { return "path contains a backslash" }
        if path.count >= 2, path.dropFirst().first == ":" { return "path starts with a drive letter" }
        if path.split(separator: "/", omittingEmptySubsequences: false).contains("..") { return "path leaves the archive (\"..\")" }
        return nil
    }

    private static func checkDeclared(_ entry: Entry, cap: UInt64, limits: Limits, file: String) throws {
        let size = entry.uncompressedSize
        // Sizes are claims: the compressed size cannot exceed the bytes the archive actually has, so
        // the ratio below is taken against what is present, not what a crafted header declares.
        let present = archiveSize(file)
        guard entry.compressedSize <= present else {
            throw KerasImportError.badArchive(file: file, entry: entry.path,
                reason: "declares \(entry.compressedSize) compressed bytes, more than the whole archive's \(present)")
        }
        guard size <= cap else {
            throw KerasImportError.badArchive(file: file, entry: entry.path, reason: "declares \(size) bytes uncompressed, over the limit of \(cap)")
        }
        if entry.isCompressed, size > 1 << 20 {
            let (bound, o) = max(entry.compressedSize, 1).multipliedReportingOverflow(by: limits.maxCompressionRatio)
            guard o || size <= bound else {
                throw KerasImportError.badArchive(file: file, entry: entry.path,
                    reason: "expands \(entry.compressedSize) compressed bytes to \(size), a ratio above \(limits.maxCompressionRatio) (zip bomb?)")
            }
        }
    }

    /// The archive's size in bytes on disk (its apparent size), or `UInt64.max` when it cannot be read.
    private static func archiveSize(_ file: String) -> UInt64 {
        ((try? FileManager.default.attributesOfItem(atPath: file))?[.size] as? NSNumber)?.uint64Value ?? .max
    }

    private struct Overflow: Error {}

    private static func extract(_ archive: Archive, _ entry: Entry, cap: UInt64, limits: Limits, file: String, _ sink: (Data) throws -> Void) throws {
        try checkDeclared(entry, cap: cap, limits: limits, file: file)
        let allowed = min(entry.uncompressedSize, cap)
        var produced: UInt64 = 0
        do {
            let crc = try archive.extract(entry, skipCRC32: false) { chunk in
                produced += UInt64(chunk.count)
                guard produced <= allowed else { throw Overflow() }
                try sink(chunk)
            }
            // ZIPFoundation computes the CRC-32 but never compares it with the entry's: without this
            // check a damaged model.weights.h5 reaches libhdf5, which loops forever or dereferences
            // a bad pointer on some corrupted global heaps (fixtures/corrupt/README.md).
            guard crc == entry.checksum else {
                throw KerasImportError.badArchive(file: file, entry: entry.path,
                    reason: String(format: "CRC-32 %08x does not match the recorded %08x (the archive is damaged)", crc, entry.checksum))
            }
        } catch is Overflow {
            throw KerasImportError.badArchive(file: file, entry: entry.path, reason: "expands beyond its declared size of \(entry.uncompressedSize) bytes (zip bomb?)")
        } catch let e as KerasImportError {
            throw e
        } catch {
            throw KerasImportError.badArchive(file: file, entry: entry.path, reason: "cannot be extracted: \(error)")
        }
    }

    private static func extractData(_ archive: Archive, _ entry: Entry, cap: UInt64, limits: Limits, file: String) throws -> Data {
        var data = Data()
        try extract(archive, entry, cap: cap, limits: limits, file: file) { data.append($0) }
        return data
    }
}
