import Foundation
import Testing
import TestSupport
@testable import Format

/// The model stored in `fixtures/golden/xor-v1.nnf`: a 2-4-1 sigmoid XOR network with
/// hand-picked weights stored in all four dtypes, metadata, and an Adam training state with slots.
///
/// Every tensor value is exactly representable in its dtype. The golden file's bytes are written by
/// `NNF.encode` (regenerated only by the deliberate act described in spec/nnf.md, "Golden file");
/// what checks them independently of the writer is: the header JSON written out as a reviewed text
/// file (`fixtures/golden/xor-v1.header.json`) compared field by field, every tensor's bytes built
/// here from the values (IEEE 754 encodings, half and bfloat16 by hand) with their CRC, the
/// hand-computed preamble, and `fixtures/golden/verify_nnf.py` (written from the spec alone, run by
/// `VerifyNNFScriptTests`).
enum NNFGolden {
    static let url = Fixtures.url("golden/xor-v1.nnf")

    static func model() throws -> ModelFile {
        let description = ModelDescription(inputWidth: 2, layers: [
            LayerSpec(name: "hidden", kind: .dense(Dense(units: 4, activation: .sigmoid))),
            LayerSpec(name: "output", kind: .dense(Dense(units: 1, activation: .sigmoid))),
        ])
        // float32 [2, 4]: 6, -4, 0.5, 2.25 / 6, -4, -0.5, 2.25.
        let kernel0 = Tensor(shape: [2, 4], values: [6, -4, 0.5, 2.25, 6, -4, -0.5, 2.25])
        // float16 [4]: -3 = 0xC200, 6 = 0x4600, 0 = 0x0000, -1.5 = 0xBE00 (little-endian bytes).
        let bias0 = try Tensor(dtype: .float16, shape: [4], bytes: [0x00, 0xC2, 0x00, 0x46, 0x00, 0x00, 0x00, 0xBE])
        // bfloat16 [4, 1]: 8 = 0x4100, -8 = 0xC100, 0.25 = 0x3E80, 1 = 0x3F80.
        let kernel1 = try Tensor(dtype: .bfloat16, shape: [4, 1], bytes: [0x00, 0x41, 0x00, 0xC1, 0x80, 0x3E, 0x80, 0x3F])
        // float64 [1]: -4 = 0xC010000000000000.
        let bias1 = try Tensor(dtype: .float64, shape: [1], bytes: [0, 0, 0, 0, 0, 0, 0x10, 0xC0])
        let params: [(String, [Int])] = [("layers.0.kernel", [2, 4]), ("layers.0.bias", [4]), ("layers.1.kernel", [4, 1]), ("layers.1.bias", [1])]
        var tensors = [
            NamedTensor(name: "layers.0.kernel", tensor: kernel0),
            NamedTensor(name: "layers.0.bias", tensor: bias0),
            NamedTensor(name: "layers.1.kernel", tensor: kernel1),
            NamedTensor(name: "layers.1.bias", tensor: bias1),
        ]
        for (s, slot) in ["momentum", "velocity"].enumerated() {
            for (p, (name, shape)) in params.enumerated() {
                let n = shape.reduce(1, *)
                // Distinct dyadic values: slot s, parameter p, element i -> (s * 64 + p * 8 + i) / 128.
                let values = (0..<n).map { Float(s * 64 + p * 8 + $0) / 128 }
                tensors.append(NamedTensor(name: TrainingState.slotPath(slot, name), tensor: Tensor(shape: shape, values: values)))
            }
        }
        let metadata = Metadata(producer: "nnkit golden fixture", sourceFormat: "nnf", sourceFile: "xor.py",
                                createdAt: "2026-01-01T00:00:00Z", inputNames: ["a", "b"], outputNames: ["a_xor_b"],
                                classLabels: ["false", "true"], extra: ["note": "v1 golden", "units": "none/1"])
        let training = TrainingState(loss: LossSpec(name: .binaryCrossentropy),
                                     optimizer: OptimizerSpec(name: .adam, learningRate: 0.01),
                                     metrics: ["accuracy"], iterations: 400, epochs: 100)
        return ModelFile(model: description, tensors: tensors, metadata: metadata, training: training)
    }
}

/// A JSON value with its type kept (a `true` is not the number 1), for field-by-field comparison.
indirect enum GoldenJSON: Decodable, Equatable, CustomStringConvertible {
    case null, bool(Bool), number(Double), string(String), array([GoldenJSON]), object([String: GoldenJSON])

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let n = try? c.decode(Double.self) { self = .number(n) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([GoldenJSON].self) { self = .array(a) }
        else { self = .object(try c.decode([String: GoldenJSON].self)) }
    }

    var description: String {
        switch self {
        case .null: "null"
        case .bool(let b): "\(b)"
        case .number(let n): "\(n)"
        case .string(let s): "\"\(s)\""
        case .array(let a): "[\(a.map(\.description).joined(separator: ", "))]"
        case .object(let o): "{\(o.keys.sorted().map { "\($0): \(o[$0]!)" }.joined(separator: ", "))}"
        }
    }

    /// Records one issue per differing leaf, named by its path (`training.optimizer.epsilon`, `tensors[3].crc32c`).
    static func expectEqual(_ got: GoldenJSON, _ expected: GoldenJSON, path: String = "header") {
        switch (got, expected) {
        case (.object(let g), .object(let e)):
            for key in Set(g.keys).union(e.keys).sorted() {
                guard let gv = g[key] else { Issue.record("\(path).\(key): missing from the file, expected \(e[key]!)"); continue }
                guard let ev = e[key] else { Issue.record("\(path).\(key): in the file (\(gv)) but not expected"); continue }
                expectEqual(gv, ev, path: "\(path).\(key)")
            }
        case (.array(let g), .array(let e)):
            #expect(g.count == e.count, "\(path): \(g.count) elements, expected \(e.count)")
            for (i, (gv, ev)) in zip(g, e).enumerated() { expectEqual(gv, ev, path: "\(path)[\(i)]") }
        default:
            #expect(got == expected, "\(path): \(got), expected \(expected)")
        }
    }
}

@Suite struct NNFGoldenTests {
    /// Locks the v1 layout: any change to the writer's bytes fails here. Regenerating the file
    /// (`NNKIT_WRITE_GOLDEN=1`) is a deliberate act under the version policy of spec/nnf.md, after
    /// `xor-v1.header.json` has been edited by hand to the new expectation.
    @Test func encodingTheGoldenModelGivesExactlyTheGoldenBytes() throws {
        let bytes = try NNF.encode(NNFGolden.model())
        if ProcessInfo.processInfo.environment["NNKIT_WRITE_GOLDEN"] == "1" {
            try AtomicFile.write(bytes, to: NNFGolden.url)
        }
        let golden = try [UInt8](Data(contentsOf: NNFGolden.url))
        #expect(bytes.count == golden.count)
        #expect(bytes == golden)
    }

    @Test func encodingIsDeterministic() throws {
        let a = try NNF.encode(NNFGolden.model())
        let b = try NNF.encode(NNFGolden.model())
        #expect(a == b)
    }

    /// Hand-computed bytes of the preamble and of tensors at their documented offsets.
    @Test func goldenFileHasTheDocumentedLayout() throws {
        let g = try [UInt8](Data(contentsOf: NNFGolden.url))
        #expect(Array(g[0..<8]) == [0x89, 0x4E, 0x4E, 0x46, 0x0D, 0x0A, 0x1A, 0x0A])
        #expect(Array(g[8..<12]) == [0x01, 0x00, 0x00, 0x00])  // major 1, minor 0
        let headerLength = g[12..<20].reversed().reduce(0) { $0 << 8 | Int($1) }
        let dataStart = 24 + headerLength
        #expect(dataStart % 64 == 0)
        // The JSON starts right after the preamble and is padded with spaces up to the data section.
        #expect(g[24] == UInt8(ascii: "{"))
        #expect(g[dataStart - 1] == UInt8(ascii: " ") || g[dataStart - 1] == UInt8(ascii: "}"))
        // layers.0.kernel at data offset 0: 6.0f = 0x40C00000, -4.0f = 0xC0800000.
        #expect(Array(g[dataStart..<dataStart + 8]) == [0x00, 0x00, 0xC0, 0x40, 0x00, 0x00, 0x80, 0xC0])
        // 32 bytes of kernel, then zero padding up to layers.0.bias at 64.
        #expect(g[dataStart + 32..<dataStart + 64].allSatisfy { $0 == 0 })
        #expect(Array(g[dataStart + 64..<dataStart + 72]) == [0x00, 0xC2, 0x00, 0x46, 0x00, 0x00, 0x00, 0xBE])
        // layers.1.kernel (bfloat16) at 128, layers.1.bias (float64) at 192.
        #expect(Array(g[dataStart + 128..<dataStart + 136]) == [0x00, 0x41, 0x00, 0xC1, 0x80, 0x3E, 0x80, 0x3F])
        #expect(Array(g[dataStart + 192..<dataStart + 200]) == [0, 0, 0, 0, 0, 0, 0x10, 0xC0])
        // The file ends exactly at the end of the last tensor: optimizer.velocity.layers.1.bias,
        // one float32 = (64 + 3 * 8 + 0) / 128 = 0.6875 = 0x3F300000.
        #expect(Array(g[(g.count - 4)...]) == [0x00, 0x00, 0x30, 0x3F])
        #expect((g.count - 4 - dataStart) % 64 == 0)
    }

    /// The golden file's header JSON, field by field, against the committed text file written
    /// and reviewed independently of the writer; the preamble's length and CRC fields against the
    /// bytes they describe (CRC-32C of the first 20 bytes then of the header, spec R7).
    @Test func goldenHeaderMatchesTheCommittedHeaderJSONFieldByField() throws {
        let g = try [UInt8](Data(contentsOf: NNFGolden.url))
        let headerLength = g[12..<20].reversed().reduce(0) { $0 << 8 | Int($1) }
        #expect(headerLength == 2216)
        let header = Array(g[24..<24 + headerLength])
        let expected = try JSONDecoder().decode(GoldenJSON.self, from: Data(contentsOf: Fixtures.url("golden/xor-v1.header.json")))
        let got = try JSONDecoder().decode(GoldenJSON.self, from: Data(header))
        GoldenJSON.expectEqual(got, expected)
        // Compact and padded with spaces only (spec: canonical JSON, then spaces up to the 64-byte boundary).
        let text = String(decoding: header, as: UTF8.self)
        let json = text.trimmingCharacters(in: CharacterSet(charactersIn: " "))
        #expect(!json.contains("\n") && !json.contains(": ") && !json.contains(", "))
        let storedCRC = g[20..<24].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        #expect(storedCRC == 0xFF60_141C)  // as printed in the spec's walkthrough
        var crc: UInt32 = 0xFFFF_FFFF
        for b in g[0..<20] + header {
            crc ^= UInt32(b)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
        }
        #expect(~crc == storedCRC, "header CRC by the bit-by-bit definition")
    }

    /// Every tensor's bytes, built here from its values (not by the writer), sit at the offset the
    /// committed header gives, with the committed length and CRC-32C (bit-by-bit definition);
    /// gaps are zero and the file ends at the last tensor.
    @Test func everyGoldenTensorHasItsHandBuiltBytesAndCRC() throws {
        let g = try [UInt8](Data(contentsOf: NNFGolden.url))
        let dataStart = 24 + g[12..<20].reversed().reduce(0) { $0 << 8 | Int($1) }
        func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] { (0..<MemoryLayout<T>.size).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
        func f32(_ values: [Float]) -> [UInt8] { values.flatMap { le($0.bitPattern) } }
        var bytes: [String: [UInt8]] = [
            "layers.0.kernel": f32([6, -4, 0.5, 2.25, 6, -4, -0.5, 2.25]),
            "layers.0.bias": [0x00, 0xC2, 0x00, 0x46, 0x00, 0x00, 0x00, 0xBE],      // float16 -3, 6, 0, -1.5
            "layers.1.kernel": [0x00, 0x41, 0x00, 0xC1, 0x80, 0x3E, 0x80, 0x3F],    // bfloat16 8, -8, 0.25, 1
            "layers.1.bias": le(Double(-4).bitPattern),
        ]
        for (s, slot) in ["momentum", "velocity"].enumerated() {
            for (p, (name, n)) in [("layers.0.kernel", 8), ("layers.0.bias", 4), ("layers.1.kernel", 4), ("layers.1.bias", 1)].enumerated() {
                bytes["optimizer.\(slot).\(name)"] = f32((0..<n).map { Float(s * 64 + p * 8 + $0) / 128 })
            }
        }
        struct Entry: Decodable { var name: String; var offset: Int; var length: Int; var crc32c: UInt32 }
        struct Header: Decodable { var tensors: [Entry] }
        let entries = try JSONDecoder().decode(Header.self, from: Data(contentsOf: Fixtures.url("golden/xor-v1.header.json"))).tensors
        #expect(Set(entries.map(\.name)) == Set(bytes.keys))
        var end = 0
        for e in entries {
            let want = try #require(bytes[e.name])
            #expect(e.length == want.count, "\(e.name): length")
            #expect(g[(dataStart + end)..<(dataStart + e.offset)].allSatisfy { $0 == 0 }, "\(e.name): padding before it")
            #expect(Array(g[(dataStart + e.offset)..<(dataStart + e.offset + e.length)]) == want, "\(e.name): bytes")
            #expect(NNFChecksumTests.reference(want[...]) == e.crc32c, "\(e.name): CRC-32C")
            end = e.offset + e.length
        }
        #expect(dataStart + end == g.count)
    }

    @Test func decodingTheGoldenFileGivesTheModelFieldByField() throws {
        let f = try NNF.read(contentsOf: NNFGolden.url)
        #expect(f.model.inputWidth == 2)
        #expect(f.model.layers.map(\.name) == ["hidden", "output"])
        #expect(f.model.layers[0].kind == .dense(Dense(units: 4, activation: .sigmoid, useBias: true)))
        #expect(f.tensors.count == 12)
        #expect(f.tensors.map(\.tensor.dtype) == [.float32, .float16, .bfloat16, .float64] + Array(repeating: .float32, count: 8))
        #expect(f.tensor(named: "layers.0.kernel")?.floats() == [6, -4, 0.5, 2.25, 6, -4, -0.5, 2.25])
        #expect(f.tensor(named: "layers.0.bias")?.floats() == [-3, 6, 0, -1.5])
        #expect(f.tensor(named: "layers.1.kernel")?.shape == [4, 1])
        #expect(f.tensor(named: "layers.1.kernel")?.floats() == [8, -8, 0.25, 1])
        #expect(f.tensor(named: "layers.1.bias")?.doubles() == [-4])
        #expect(f.tensor(named: "optimizer.velocity.layers.0.bias")?.floats() == [72, 73, 74, 75].map { Float($0) / 128 })
        #expect(f.metadata.producer == "nnkit golden fixture")
        #expect(f.metadata.createdAt == "2026-01-01T00:00:00Z")
        #expect(f.metadata.inputNames == ["a", "b"])
        #expect(f.metadata.outputNames == ["a_xor_b"])
        #expect(f.metadata.classLabels == ["false", "true"])
        #expect(f.metadata.extra == ["note": "v1 golden", "units": "none/1"])
        let t = try #require(f.training)
        #expect(t.loss.name == .binaryCrossentropy)
        #expect(t.optimizer.name == .adam)
        #expect(t.optimizer.learningRate == 0.01)
        #expect(t.optimizer.beta1 == 0.9 && t.optimizer.beta2 == 0.999 && t.optimizer.epsilon == 1e-7)
        #expect(t.iterations == 400 && t.epochs == 100 && t.metrics == ["accuracy"])
        #expect(f == (try NNFGolden.model()))
    }

    @Test func encodeThenDecodeRoundTripsAModelWithoutTrainingState() throws {
        var m = try NNFGolden.model()
        m.training = nil
        m.tensors.removeAll { $0.name.hasPrefix("optimizer.") }
        m.metadata = Metadata()
        let bytes = try NNF.encode(m)
        #expect(try NNF.decode(bytes, fileName: "mem.nnf") == m)
        #expect(!String(decoding: bytes, as: UTF8.self).contains("\"training\""))
    }

    /// A model with no layers and therefore no tensors: the file is the preamble and the padded header.
    @Test func modelWithoutTensorsEndsAtTheDataSection() throws {
        let m = ModelFile(model: ModelDescription(inputWidth: 3, layers: [LayerSpec(name: "relu", kind: .activation(.relu))]), tensors: [])
        let bytes = try NNF.encode(m)
        #expect(bytes.count % 64 == 0)
        #expect(try NNF.decode(bytes, fileName: "empty.nnf") == m)
    }

    /// Zero-size tensors (a dimension of 0) are legal: length 0, offset still aligned.
    @Test func zeroSizedTensorsRoundTrip() throws {
        let m = ModelFile(model: ModelDescription(inputWidth: 2, layers: [LayerSpec(name: "n", kind: .normalization(Normalization()))]),
                          tensors: [NamedTensor(name: "layers.0.mean", tensor: Tensor(shape: [2], values: [1, 2])),
                                    NamedTensor(name: "layers.0.variance", tensor: Tensor(shape: [2], values: [3, 4])),
                                    NamedTensor(name: "layers.0.count", tensor: Tensor(shape: [], values: [10]))])
        #expect(try NNF.decode(NNF.encode(m), fileName: "n.nnf") == m)
    }

    /// Rule: NaN and infinities in tensor data are stored bit-exactly and accepted by the reader.
    @Test func nonFiniteWeightsAreKeptBitExactly() throws {
        var m = try NNFGolden.model()
        let nanBits: UInt32 = 0x7FC0_1234  // a quiet NaN with a payload
        let values: [Float] = [.infinity, -.infinity, Float(bitPattern: nanBits), 0, -0.0, 1, 2, 3]
        m.tensors[0] = NamedTensor(name: "layers.0.kernel", tensor: Tensor(shape: [2, 4], values: values))
        let back = try NNF.decode(NNF.encode(m), fileName: "nan.nnf")
        let got = try #require(back.tensor(named: "layers.0.kernel")).floats()
        #expect(got.map(\.bitPattern) == values.map(\.bitPattern))
    }

    /// The writer refuses models that its reader would reject (rule R24) and non-finite configuration numbers.
    @Test func writerRefusesInvalidModels() throws {
        var m = try NNFGolden.model()
        m.tensors.remove(at: 1)
        #expect(throws: NNFError.invalidModel(file: "(in memory)", .missingTensor(name: "layers.0.bias"))) { try NNF.encode(m) }
        var n = try NNFGolden.model()
        n.training?.optimizer.learningRate = .nan
        #expect(throws: NNFError.self) { try NNF.encode(n) }
    }
}
