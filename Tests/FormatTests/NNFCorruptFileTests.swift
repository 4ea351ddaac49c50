import Foundation
import Testing
import TestSupport
@testable import Format

/// Takes the golden file apart so that one rule at a time can be broken while every other rule
/// (in particular the header CRC, which would otherwise hide the fault) still holds.
struct NNFSurgery {
    var major: UInt16
    var minor: UInt16
    var header: [String: Any]
    var data: [UInt8]

    init(_ bytes: [UInt8]) throws {
        major = UInt16(bytes[8]) | UInt16(bytes[9]) << 8
        minor = UInt16(bytes[10]) | UInt16(bytes[11]) << 8
        let length = bytes[12..<20].reversed().reduce(0) { $0 << 8 | Int($1) }
        header = try #require(try JSONSerialization.jsonObject(with: Data(bytes[24..<(24 + length)])) as? [String: Any])
        data = Array(bytes[(24 + length)...])
    }

    static func golden() throws -> NNFSurgery { try NNFSurgery(goldenBytes()) }

    static func goldenBytes() throws -> [UInt8] { try [UInt8](Data(contentsOf: NNFGolden.url)) }

    /// Reassembles a file from raw JSON bytes: pads to the 64-byte boundary (unless `pad` is false)
    /// and stores a correct header CRC. The CRC is computed here from the spec's definition.
    static func assemble(major: UInt16 = 1, minor: UInt16 = 0, json: [UInt8], data: [UInt8], pad: Bool = true) -> [UInt8] {
        var h = json
        if pad { while (24 + h.count) % 64 != 0 { h.append(0x20) } }
        var out: [UInt8] = [0x89, 0x4E, 0x4E, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]
        out += [UInt8(major & 0xFF), UInt8(major >> 8), UInt8(minor & 0xFF), UInt8(minor >> 8)]
        out += (0..<8).map { UInt8(truncatingIfNeeded: UInt64(h.count) >> (8 * $0)) }
        let crc = CRC32C.checksum(h, seed: CRC32C.checksum(out))
        out += (0..<4).map { UInt8(truncatingIfNeeded: crc >> (8 * $0)) }
        return out + h + data
    }

    func bytes() throws -> [UInt8] {
        let json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        return Self.assemble(major: major, minor: minor, json: [UInt8](json), data: data)
    }

    /// `header["tensors"][i][key] = value`.
    mutating func setTensor(_ i: Int, _ key: String, _ value: Any?) throws {
        var tensors = try #require(header["tensors"] as? [[String: Any]])
        tensors[i][key] = value
        header["tensors"] = tensors
    }

    func tensor(_ i: Int, _ key: String) throws -> Any {
        let tensors = try #require(header["tensors"] as? [[String: Any]])
        return try #require(tensors[i][key])
    }

    /// `header["model"]["layers"][i][key] = value`.
    mutating func setLayer(_ i: Int, _ key: String, _ value: Any?) throws {
        var model = try #require(header["model"] as? [String: Any])
        var layers = try #require(model["layers"] as? [[String: Any]])
        layers[i][key] = value
        model["layers"] = layers
        header["model"] = model
    }

    var dataStart: Int { 2240 }
}

/// Decodes `bytes` as file `name` and returns the NNFError, recording an issue if it decodes or
/// throws another type.
func nnfError(_ bytes: [UInt8], _ name: String = "bad.nnf") -> NNFError? {
    do {
        _ = try NNF.decode(bytes, fileName: name)
        Issue.record("\(name) decoded but should have been rejected")
    } catch let e as NNFError {
        return e
    } catch {
        Issue.record("\(name): unexpected error type \(type(of: error)): \(error)")
    }
    return nil
}

/// One test per numbered rule of `spec/nnf.md`, "Reader safety rules". Each checks the exact error
/// case and that its message names the file and the place.
@Suite struct NNFCorruptFileTests {
    func expectMessage(_ e: NNFError?, contains parts: String..., file: String = "bad.nnf") {
        let text = e?.description ?? ""
        #expect(text.hasPrefix(file + ": "), "message does not start with the file name: \(text)")
        for p in parts { #expect(text.contains(p), "message lacks \"\(p)\": \(text)") }
    }

    @Test func r01TruncatedPreamble() throws {
        let g = try NNFSurgery.goldenBytes()
        let e = nnfError(Array(g[0..<23]))
        #expect(e == .truncatedPreamble(file: "bad.nnf", size: 23))
        expectMessage(e, contains: "23 bytes", "24-byte preamble")
        #expect(nnfError([], "empty.nnf") == .truncatedPreamble(file: "empty.nnf", size: 0))
    }

    @Test func r02BadMagicAndTextModeTransfer() throws {
        let g = try NNFSurgery.goldenBytes()
        // A text-mode transfer turns CR LF into LF: the magic loses its 0x0D.
        var text = g
        text.remove(at: 4)
        let e = nnfError(text)
        #expect(e == .badMagic(file: "bad.nnf", found: [0x89, 0x4E, 0x4E, 0x46, 0x0A, 0x1A, 0x0A, 0x01]))
        expectMessage(e, contains: "89 4E 4E 46 0A 1A 0A 01", "expected 89 4E 4E 46 0D 0A 1A 0A", "text mode")
        let json = nnfError(Array("{\"model\": {}, \"tensors\": []}                ".utf8), "model.json")
        #expect(json == .badMagic(file: "model.json", found: Array("{\"model\"".utf8)))
    }

    @Test func r03NewerMajorVersionIsRejectedNamingBothVersions() throws {
        var s = try NNFSurgery.golden()
        s.major = 2
        s.minor = 3
        let e = nnfError(try s.bytes())
        #expect(e == .unsupportedVersion(file: "bad.nnf", major: 2, minor: 3))
        expectMessage(e, contains: "version 2.3", "version 1.x", "newer")
    }

    @Test func r04HeaderLengthOverTheCapIsRejectedBeforeReading() throws {
        var g = try NNFSurgery.goldenBytes()
        let huge = UInt64(16 * 1024 * 1024 + 40)
        for i in 0..<8 { g[12 + i] = UInt8(truncatingIfNeeded: huge >> (8 * UInt64(i))) }
        let e = nnfError(g)
        #expect(e == .headerTooLarge(file: "bad.nnf", length: huge, limit: 16 * 1024 * 1024))
        expectMessage(e, contains: "16777256", "16 MiB")
        // The largest possible length is caught by the same rule, not by arithmetic overflow.
        for i in 0..<8 { g[12 + i] = 0xFF }
        #expect(nnfError(g) == .headerTooLarge(file: "bad.nnf", length: .max, limit: 16 * 1024 * 1024))
    }

    @Test func r05HeaderBeyondTheEndOfTheFile() throws {
        let g = try NNFSurgery.goldenBytes()
        let e = nnfError(Array(g[0..<1000]))
        #expect(e == .headerBeyondFile(file: "bad.nnf", headerEnd: 2240, fileSize: 1000))
        expectMessage(e, contains: "2240", "1000 bytes", "truncated")
    }

    @Test func r06DataSectionNotOn64ByteBoundary() throws {
        let s = try NNFSurgery.golden()
        var json = [UInt8](try JSONSerialization.data(withJSONObject: s.header, options: [.sortedKeys]))
        while (24 + json.count) % 64 != 1 { json.append(0x20) }
        let e = nnfError(NNFSurgery.assemble(json: json, data: s.data, pad: false))
        #expect(e == .misalignedDataSection(file: "bad.nnf", dataStart: UInt64(24 + json.count)))
        expectMessage(e, contains: "\(24 + json.count)", "multiple of 64")
    }

    @Test func r07HeaderChecksumMismatch() throws {
        var g = try NNFSurgery.goldenBytes()
        // "nnkit golden fixture" -> "nnkit golden fixturf": one byte of the JSON changed.
        let at = try #require(String(decoding: g, as: UTF8.self).range(of: "fixture\"")).lowerBound.utf16Offset(in: String(decoding: g, as: UTF8.self))
        g[at + 6] = UInt8(ascii: "f")
        let e = nnfError(g)
        guard case .headerChecksumMismatch(let f, let stored, let computed)? = e else { Issue.record("got \(String(describing: e))"); return }
        let original = g[20..<24].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        #expect(f == "bad.nnf" && stored == original && computed != stored)
        let hex = String(original, radix: 16, uppercase: true)
        expectMessage(e, contains: "stored CRC-32C 0x" + String(repeating: "0", count: 8 - hex.count) + hex, "corrupt")
        // The CRC also covers the preamble: a changed minor version is detected.
        var m = try NNFSurgery.goldenBytes()
        m[10] = 5
        guard case .headerChecksumMismatch? = nnfError(m) else { Issue.record("minor-version flip not detected"); return }
    }

    @Test func r08HeaderThatIsNotUTF8() throws {
        let s = try NNFSurgery.golden()
        var json = [UInt8](try JSONSerialization.data(withJSONObject: s.header, options: [.sortedKeys]))
        let at = try #require(json.firstIndex(of: UInt8(ascii: "k")))  // inside "nnkit..." or a key: any string byte
        json[at] = 0xFF
        let e = nnfError(NNFSurgery.assemble(json: json, data: s.data))
        #expect(e == .headerNotUTF8(file: "bad.nnf", offset: 24 + at))
        expectMessage(e, contains: "UTF-8", "offset \(24 + at)")
    }

    @Test func r09HeaderThatIsNotJSON() throws {
        let s = try NNFSurgery.golden()
        let e = nnfError(NNFSurgery.assemble(json: Array("{\"model\": [1, 2".utf8), data: s.data))
        guard case .malformedHeader(let f, _)? = e else { Issue.record("got \(String(describing: e))"); return }
        #expect(f == "bad.nnf")
        expectMessage(e, contains: "not a valid JSON object", "begins with `{\"model\": [1, 2`")
        // The first bad byte is named by line and column (it said only "The given data was not valid JSON.").
        let place = nnfError(NNFSurgery.assemble(json: Array("{\"model\":\n {\"x\": }}".utf8), data: s.data))
        expectMessage(place, contains: "not a valid JSON object: invalid value at line 2, column 8 of the header")
        // A JSON value that is not an object is reported as malformed as well.
        guard case .malformedHeader? = nnfError(NNFSurgery.assemble(json: Array("[1]".utf8), data: [])) else {
            Issue.record("top-level array accepted"); return
        }
        // Deep nesting (1 MiB of "[") is rejected by the parser's depth limit, without a stack overflow.
        let deep = [UInt8](repeating: UInt8(ascii: "["), count: 1 << 20)
        guard case .malformedHeader? = nnfError(NNFSurgery.assemble(json: deep, data: [])) else {
            Issue.record("deeply nested header not reported as malformed"); return
        }
        let deepInside = Array("{\"model\":".utf8) + deep
        guard case .malformedHeader? = nnfError(NNFSurgery.assemble(json: deepInside, data: [])) else {
            Issue.record("deeply nested model not reported as malformed"); return
        }
    }

    @Test func r10MissingRequiredField() throws {
        var s = try NNFSurgery.golden()
        try s.setTensor(3, "crc32c", nil)
        let e = nnfError(try s.bytes())
        #expect(e == .missingField(file: "bad.nnf", path: "tensors[3].crc32c"))
        expectMessage(e, contains: "tensors[3].crc32c", "required")
        var t = try NNFSurgery.golden()
        t.header["tensors"] = nil
        #expect(nnfError(try t.bytes()) == .missingField(file: "bad.nnf", path: "tensors"))
        var u = try NNFSurgery.golden()
        try u.setLayer(0, "units", nil)
        #expect(nnfError(try u.bytes()) == .missingField(file: "bad.nnf", path: "model.layers[0].units"))
    }

    @Test func r11FieldOfTheWrongTypeOrValue() throws {
        var s = try NNFSurgery.golden()
        try s.setTensor(1, "offset", -64)
        let e = nnfError(try s.bytes())
        guard case .invalidField(let f, let path, _)? = e else { Issue.record("got \(String(describing: e))"); return }
        #expect(f == "bad.nnf" && path == "tensors[1].offset")
        expectMessage(e, contains: "tensors[1].offset")
        var a = try NNFSurgery.golden()
        try a.setLayer(1, "activation", "swishy")
        let ea = nnfError(try a.bytes())
        guard case .invalidField(_, let pa, let reason)? = ea else { Issue.record("got \(String(describing: ea))"); return }
        #expect(pa == "model.layers[1].activation" && reason.contains("swishy"))
        var c = try NNFSurgery.golden()
        try c.setTensor(4, "crc32c", 1.5)
        #expect(nnfError(try c.bytes()) == .invalidField(file: "bad.nnf", path: "tensors[4].crc32c", reason: "expected an integer in 0...4294967295, found 1.5"))
        // Foundation does not locate a fractional count; the reader finds it.
        var u = try NNFSurgery.golden()
        try u.setLayer(1, "units", 2.5)
        let eu = nnfError(try u.bytes())
        guard case .invalidField(_, "model.layers[1].units", _)? = eu else { Issue.record("got \(String(describing: eu))"); return }
        var n = try NNFSurgery.golden()
        n.header["training"] = ["loss": ["name": "huber"], "optimizer": ["name": "sgd"], "epochs": -1.5] as [String: Any]
        guard case .invalidField(_, "training.epochs", _)? = nnfError(try n.bytes()) else { Issue.record("epochs -1.5 not located"); return }
        var t = try NNFSurgery.golden()
        try t.setTensor(0, "name", 7)
        guard case .invalidField(_, "tensors[0].name", _)? = nnfError(try t.bytes()) else { Issue.record("number as name accepted"); return }
    }

    /// A learning-rate schedule of a class nnkit does not know, or with a value Keras refuses, is an
    /// R11 refusal at its path naming the file (it escaped as a bare schedule error: `nnconv inspect`
    /// printed it without the file's name).
    @Test(arguments: [
        (#"{"class_name": "Foo", "config": {}}"#, "unknown learning-rate schedule \"Foo\""),
        (#"{"class_name": "ExponentialDecay", "config": {"initial_learning_rate": 0.1, "decay_steps": -1, "decay_rate": 0.5}}"#,
         "decay_steps is -1.0, expected a number > 0"),
    ]) func r11AnUnknownOrInvalidLearningRateScheduleIsNamedByItsPath(_ json: String, _ reason: String) throws {
        let schedule = try JSONSerialization.jsonObject(with: Data(json.utf8))
        var n = try NNFSurgery.golden()
        var training = try #require(n.header["training"] as? [String: Any])
        var optimizer = try #require(training["optimizer"] as? [String: Any])
        optimizer["learning_rate_schedule"] = schedule
        training["optimizer"] = optimizer
        n.header["training"] = training
        let e = nnfError(try n.bytes())
        guard case .invalidField("bad.nnf", "training.optimizer.learning_rate_schedule", let r)? = e else {
            Issue.record("got \(String(describing: e))"); return
        }
        #expect(r.contains(reason), "\(r)")
        expectMessage(e, contains: "training.optimizer.learning_rate_schedule", reason)
    }

    /// Issue 12 item 8: a float that no Float/Double holds (`1e-400`, `1e999`) was reported as
    /// "header field (unknown)". Foundation gives no path for it; the reader finds the literal.
    @Test(arguments: ["1e-400", "-2.5e999"]) func r11AFloatOutsideFloat64IsNamedByItsKey(_ literal: String) throws {
        var n = try NNFSurgery.golden()
        n.header["training"] = ["loss": ["name": "mean_squared_error"], "optimizer": ["name": "adam", "epsilon": 0.123456789],
                                "epochs": 0, "iterations": 0] as [String: Any]
        let json = try JSONSerialization.data(withJSONObject: n.header, options: [.sortedKeys])
        var text = String(decoding: json, as: UTF8.self)
        #expect(text.contains("0.123456789"))
        text = text.replacingOccurrences(of: "0.123456789", with: literal)
        let e = nnfError(NNFSurgery.assemble(json: Array(text.utf8), data: n.data))
        expectMessage(e, contains: "training.optimizer.epsilon", literal, "outside the range of a 64-bit float")
        let message = e?.description ?? ""
        #expect(!message.contains("(unknown)"), "\(message)")
    }

    @Test func r12UnknownLayerKind() throws {
        var s = try NNFSurgery.golden()
        try s.setLayer(1, "kind", "conv2d")
        let e = nnfError(try s.bytes())
        #expect(e == .unknownLayerKind(file: "bad.nnf", layer: 1, kind: "conv2d"))
        expectMessage(e, contains: "layer 1", "\"conv2d\"", "dense")
    }

    @Test func r13UnknownDType() throws {
        var s = try NNFSurgery.golden()
        try s.setTensor(2, "dtype", "int8")
        let e = nnfError(try s.bytes())
        #expect(e == .unknownDType(file: "bad.nnf", tensor: "layers.1.kernel", dtype: "int8"))
        expectMessage(e, contains: "\"layers.1.kernel\"", "\"int8\"", "float32")
    }

    @Test func r14DuplicateTensorNames() throws {
        var s = try NNFSurgery.golden()
        try s.setTensor(5, "name", "optimizer.momentum.layers.0.kernel")
        let e = nnfError(try s.bytes())
        #expect(e == .duplicateTensorName(file: "bad.nnf", tensor: "optimizer.momentum.layers.0.kernel", first: 4, second: 5))
        expectMessage(e, contains: "\"optimizer.momentum.layers.0.kernel\"", "entries 4 and 5")
    }

    @Test func r15NegativeOrOverflowingShape() throws {
        var s = try NNFSurgery.golden()
        try s.setTensor(0, "shape", [-2, -4])
        let e = nnfError(try s.bytes())
        #expect(e == .invalidShape(file: "bad.nnf", tensor: "layers.0.kernel", shape: [-2, -4]))
        expectMessage(e, contains: "\"layers.0.kernel\"", "[-2, -4]")
        // 2^32 * 2^31 elements fit in Int, but times 4 bytes do not.
        var o = try NNFSurgery.golden()
        try o.setTensor(0, "shape", [1 << 32, 1 << 31])
        #expect(nnfError(try o.bytes()) == .invalidShape(file: "bad.nnf", tensor: "layers.0.kernel", shape: [1 << 32, 1 << 31]))
        var p = try NNFSurgery.golden()
        try p.setTensor(0, "shape", [1 << 40, 1 << 40])
        #expect(nnfError(try p.bytes()) == .invalidShape(file: "bad.nnf", tensor: "layers.0.kernel", shape: [1 << 40, 1 << 40]))
    }

    @Test func r16LengthDisagreesWithShapeAndDType() throws {
        var s = try NNFSurgery.golden()
        try s.setTensor(1, "length", 16)
        let e = nnfError(try s.bytes())
        #expect(e == .lengthMismatch(file: "bad.nnf", tensor: "layers.0.bias", shape: [4], dtype: .float16, expected: 8, found: 16))
        expectMessage(e, contains: "\"layers.0.bias\"", "16 bytes", "needs 8 bytes")
    }

    @Test func r17OffsetNotAMultipleOf64() throws {
        var s = try NNFSurgery.golden()
        try s.setTensor(1, "offset", 32)
        let e = nnfError(try s.bytes())
        #expect(e == .misalignedOffset(file: "bad.nnf", tensor: "layers.0.bias", offset: 32))
        expectMessage(e, contains: "\"layers.0.bias\"", "offset 32", "multiple of 64")
    }

    @Test func r18TensorBeyondTheEndOfTheFile() throws {
        let g = try NNFSurgery.goldenBytes()
        let e = nnfError(Array(g.dropLast(2)))
        let dataSize = g.count - 2240 - 2
        #expect(e == .tensorBeyondFile(file: "bad.nnf", tensor: "optimizer.velocity.layers.1.bias", offset: UInt64(dataSize - 2), length: 4, dataSize: dataSize))
        expectMessage(e, contains: "\"optimizer.velocity.layers.1.bias\"", "truncated")
        // An offset near 2^64 does not wrap around.
        var s = try NNFSurgery.golden()
        try s.setTensor(0, "offset", UInt64.max - 63)
        #expect(nnfError(try s.bytes()) == .tensorBeyondFile(file: "bad.nnf", tensor: "layers.0.kernel", offset: UInt64.max - 63, length: 32, dataSize: g.count - 2240))
    }

    @Test func r19OverlappingTensors() throws {
        var s = try NNFSurgery.golden()
        try s.setTensor(2, "offset", 64)
        let e = nnfError(try s.bytes())
        #expect(e == .overlappingTensor(file: "bad.nnf", tensor: "layers.1.kernel", offset: 64, previous: "layers.0.bias", previousEnd: 72))
        expectMessage(e, contains: "\"layers.1.kernel\"", "\"layers.0.bias\"", "overlap")
    }

    @Test func r20GapBetweenTensors() throws {
        var s = try NNFSurgery.golden()
        // Move the last tensor 64 bytes further and keep the file long enough for it.
        let last = (s.header["tensors"] as? [Any])?.count ?? 0
        let offset = try #require(try s.tensor(last - 1, "offset") as? Int)
        try s.setTensor(last - 1, "offset", offset + 64)
        s.data.insert(contentsOf: [UInt8](repeating: 0, count: 64), at: offset)
        let e = nnfError(try s.bytes())
        #expect(e == .gapBeforeTensor(file: "bad.nnf", tensor: "optimizer.velocity.layers.1.bias", offset: UInt64(offset + 64), expected: UInt64(offset)))
        expectMessage(e, contains: "\"optimizer.velocity.layers.1.bias\"", "expected \(offset)")
    }

    @Test func r21NonZeroPaddingBetweenTensors() throws {
        var g = try NNFSurgery.goldenBytes()
        g[2240 + 40] = 0x55  // between layers.0.kernel (0..<32) and layers.0.bias (64..<72)
        let e = nnfError(g)
        #expect(e == .nonZeroPadding(file: "bad.nnf", after: "layers.0.kernel", offset: 2280, value: 0x55))
        expectMessage(e, contains: "file offset 2280", "\"layers.0.kernel\"", "55")
    }

    @Test func r22TrailingBytes() throws {
        let g = try NNFSurgery.goldenBytes()
        let e = nnfError(g + [0])
        #expect(e == .trailingBytes(file: "bad.nnf", expectedSize: g.count, actualSize: g.count + 1))
        expectMessage(e, contains: "\(g.count + 1) bytes", "ends at byte \(g.count)")
        // A second copy of the file appended (a concatenated download) is caught by the same rule.
        #expect(nnfError(g + g) == .trailingBytes(file: "bad.nnf", expectedSize: g.count, actualSize: 2 * g.count))
    }

    @Test func r23TensorChecksumMismatchNamesTheTensor() throws {
        var g = try NNFSurgery.goldenBytes()
        g[2240 + 128] ^= 0x01  // first byte of layers.1.kernel
        let e = nnfError(g)
        guard case .tensorChecksumMismatch(let f, let t, let stored, let computed)? = e else { Issue.record("got \(String(describing: e))"); return }
        #expect(f == "bad.nnf" && t == "layers.1.kernel" && stored == 0x40EB_4179 && computed == 0x09D7_3C5E)
        expectMessage(e, contains: "\"layers.1.kernel\"", "checksum")
    }

    @Test func r24ShapesThatDisagreeWithTheLayerConfiguration() throws {
        var s = try NNFSurgery.golden()
        try s.setLayer(0, "units", 3)
        let e = nnfError(try s.bytes())
        #expect(e == .invalidModel(file: "bad.nnf", .shapeMismatch(name: "layers.0.kernel", expected: [2, 3], actual: [2, 4])))
        expectMessage(e, contains: "\"layers.0.kernel\"", "[2, 3]", "[2, 4]")
        // A slot for a parameter that does not exist.
        var t = try NNFSurgery.golden()
        try t.setTensor(11, "name", "optimizer.velocity.layers.7.bias")
        #expect(nnfError(try t.bytes()) == .invalidModel(file: "bad.nnf", .unexpectedTensor(name: "optimizer.velocity.layers.7.bias")))
    }

    /// R24's other clauses: metadata name counts against the widths, no input name twice (inputs are
    /// matched to CSV columns by name), `input_width` ≥ 1, layer options in range, and the training
    /// counters in 0…2^53. Each is refused naming the field; class labels are not counted (one sigmoid
    /// output has two, as the golden file's).
    @Test func r24MetadataNamesLayerOptionsAndCountersAgreeWithTheModel() throws {
        func withMetadata(_ key: String, _ value: Any) throws -> [UInt8] {
            var s = try NNFSurgery.golden()
            var m = try #require(s.header["metadata"] as? [String: Any])
            m[key] = value
            s.header["metadata"] = m
            return try s.bytes()
        }
        let threeInputs = nnfError(try withMetadata("input_names", ["a", "b", "c"]))
        #expect(threeInputs == .invalidModel(file: "bad.nnf", .metadataMismatch(field: "input_names", count: 3, expected: 2)))
        expectMessage(threeInputs, contains: "input_names", "3 entries", "2")
        let twice = nnfError(try withMetadata("input_names", ["a", "a"]))
        #expect(twice == .invalidModel(file: "bad.nnf", .duplicateName(field: "input_names", name: "a")))
        expectMessage(twice, contains: "input_names", "\"a\" more than once")
        #expect(nnfError(try withMetadata("output_names", ["p", "q"]))
                == .invalidModel(file: "bad.nnf", .metadataMismatch(field: "output_names", count: 2, expected: 1)))
        #expect(try NNF.decode(try withMetadata("class_labels", ["x", "y", "z"]), fileName: "ok.nnf").metadata.classLabels == ["x", "y", "z"])

        var width = try NNFSurgery.golden()
        var model = try #require(width.header["model"] as? [String: Any])
        model["input_width"] = 0
        width.header["model"] = model
        #expect(nnfError(try width.bytes()) == .invalidModel(file: "bad.nnf", .invalidInputWidth(0)))

        var units = try NNFSurgery.golden()
        try units.setLayer(1, "units", 0)
        guard case .invalidModel(_, .invalidLayer(1, "output", let reason))? = nnfError(try units.bytes()) else {
            Issue.record("units 0 not refused as layer 1"); return
        }
        #expect(reason.contains("units"))

        for (field, value) in [("iterations", (1 << 53) + 1), ("epochs", -1)] {
            var t = try NNFSurgery.golden()
            var training = try #require(t.header["training"] as? [String: Any])
            training[field] = value
            t.header["training"] = training
            let e = nnfError(try t.bytes())
            #expect(e == .invalidModel(file: "bad.nnf", .invalidTrainingState(field: field, value: value, limit: 1 << 53)))
            expectMessage(e, contains: "training.\(field)", "\(value)")
        }
    }

    /// Forward compatibility: a newer minor version with unknown keys anywhere is read.
    @Test func newerMinorVersionWithUnknownKeysIsAccepted() throws {
        var s = try NNFSurgery.golden()
        s.minor = 9
        s.header["future_section"] = ["anything": [1, 2, 3]]
        try s.setTensor(0, "compression", "none")
        try s.setLayer(0, "kernel_constraint", NSNull())
        let f = try NNF.decode(try s.bytes(), fileName: "newer.nnf")
        #expect(f == (try NNFGolden.model()))
    }

    /// Random byte flips and truncations of the golden file never crash: they are rejected with an
    /// NNFError or (flips inside the JSON with a repaired CRC) decode to some valid model.
    /// Fixed seed; bounded iterations.
    @Test func randomCorruptionsNeverCrash() throws {
        let g = try NNFSurgery.goldenBytes()
        var rng = SeededGenerator(seed: 0x5EED_2026)
        // Every truncation is rejected.
        for n in 0..<g.count {
            #expect(nnfError(Array(g[0..<n]), "cut.nnf") != nil)
        }
        var rejected = 0
        // Raw flips anywhere: always rejected (every byte is covered by a rule or a CRC).
        for _ in 0..<1500 {
            var b = g
            for _ in 0..<Int(rng.next() % 3 + 1) {
                let i = Int(rng.next() % UInt64(b.count))
                b[i] ^= UInt8(truncatingIfNeeded: rng.next() % 255 + 1)
            }
            if nnfError(b, "flip.nnf") != nil { rejected += 1 }
        }
        #expect(rejected == 1500)
        // Flips inside the JSON with the CRC repaired, reaching the parser and the table checks.
        let s = try NNFSurgery.golden()
        let json = [UInt8](try JSONSerialization.data(withJSONObject: s.header, options: [.sortedKeys]))
        var decoded = 0, errors = 0
        for _ in 0..<1500 {
            var j = json
            for _ in 0..<Int(rng.next() % 3 + 1) {
                let i = Int(rng.next() % UInt64(j.count))
                j[i] = UInt8(truncatingIfNeeded: rng.next())
            }
            let file: ModelFile
            do {
                file = try NNF.decode(NNFSurgery.assemble(json: j, data: s.data), fileName: "fuzz.nnf")
            } catch is NNFError {
                errors += 1
                continue
            } catch {
                Issue.record("non-NNFError \(type(of: error)): \(error)")
                continue
            }
            // What the reader accepts, the writer writes back and the reader reads the same.
            decoded += 1
            #expect(try NNF.decode(NNF.encode(file), fileName: "again.nnf") == file)
        }
        #expect(errors > 0 && decoded > 0, "\(errors) refused, \(decoded) decoded: both paths must be reached")
    }
}

