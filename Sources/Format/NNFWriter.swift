import Foundation

/// Produces `.nnf` bytes from a ``ModelFile``; see ``NNF/encode(_:)``.
enum NNFWriter {
    /// Encodes `model`. Tensors are written in `model.tensors` order, each at the next multiple of 64
    /// after the previous one's end, zero-padded; the file ends where the last tensor ends.
    /// - Parameter file: the name used in errors.
    static func encode(_ model: ModelFile, file: String) throws -> [UInt8] {
        do {
            try model.validate()
        } catch let e as ModelError {
            throw NNFError.invalidModel(file: file, e)
        }

        var entries: [NNFTensorEntry] = []
        entries.reserveCapacity(model.tensors.count)
        var end: UInt64 = 0
        for t in model.tensors {
            let offset = NNFLayout.aligned(end)
            let length = UInt64(t.tensor.byteCount)
            entries.append(NNFTensorEntry(name: t.name, dtype: t.tensor.dtype.rawValue, shape: t.tensor.shape,
                                          offset: offset, length: length, crc32c: t.tensor.withUnsafeBytes { CRC32C.checksum($0) }))
            end = offset + length
        }

        let header = NNFHeader(model: model.model, tensors: entries, metadata: model.metadata, training: model.training)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let json: Data
        do {
            json = try encoder.encode(header)
        } catch {
            throw NNFError.headerEncodingFailed(file: file, reason: "\(error)")
        }
        let padding = NNFLayout.headerPadding(jsonLength: json.count)
        let headerLength = json.count + padding
        guard headerLength <= NNF.maxHeaderLength else {
            throw NNFError.headerWouldBeTooLarge(file: file, length: headerLength, limit: NNF.maxHeaderLength)
        }

        let dataStart = NNF.preambleSize + headerLength
        var out = [UInt8]()
        out.reserveCapacity(dataStart + Int(end))
        out += NNFPreamble(major: NNF.versionMajor, minor: NNF.versionMinor, headerLength: UInt64(headerLength), headerCRC: 0).bytes
        out += json
        out += repeatElement(0x20, count: padding)
        let crc = out.withUnsafeBytes { raw in
            CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[NNF.preambleSize...]),
                            seed: CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[..<NNF.crcFieldOffset])))
        }
        withUnsafeBytes(of: crc.littleEndian) { c in
            for i in 0..<4 { out[NNF.crcFieldOffset + i] = c[i] }
        }
        for (t, e) in zip(model.tensors, entries) {
            out += repeatElement(0, count: dataStart + Int(e.offset) - out.count)
            t.tensor.withUnsafeBytes { out += $0 }
        }
        return out
    }
}
