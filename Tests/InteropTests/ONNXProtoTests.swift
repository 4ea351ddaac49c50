import Foundation
import Testing
import TestSupport
import _ONNX
@testable import Interop

/// The libprotobuf-c boundary: what `ONNXModel.decode` accepts, and that hostile bytes end in a
/// typed error (never a crash, a hang or an allocation the file size does not bound).
@Suite struct ONNXProtoTests {
    /// Protobuf wire helpers for hand-made messages.
    static func varint(_ v: UInt64) -> [UInt8] {
        var v = v, out: [UInt8] = []
        repeat { var b = UInt8(v & 0x7F); v >>= 7; if v != 0 { b |= 0x80 }; out.append(b) } while v != 0
        return out
    }
    static func field(_ number: UInt64, _ payload: [UInt8]) -> [UInt8] { varint(number << 3 | 2) + varint(UInt64(payload.count)) + payload }
    static func intField(_ number: UInt64, _ v: UInt64) -> [UInt8] { varint(number << 3) + varint(v) }

    static let small = ONNXImportTests.graph([ONNXNode(name: "mm", opType: "MatMul", inputs: ["x", "W"], outputs: ["y"])], inits: [ONNXImportTests.w])

    @Test func encodeThenDecodeGivesTheSameModel() throws {
        var m = Self.small
        m.metadataProps = [ONNXStringPair("k", "v ü")]
        m.graph.initializers.append(ONNXTensor(name: "h", dims: [3], dataType: .float16, storage: .int32Data([0x3C00, 0xC000, 0x7C00])))
        m.graph.nodes.append(ONNXNode(name: "n", opType: "Clip", inputs: ["y", "", "h"], outputs: ["z"],
                                      attributes: [ONNXAttribute("f", .float(0.5)), ONNXAttribute("i", .ints([1, -2])), ONNXAttribute("s", .strings([[0x61], []]))]))
        let back = try ONNXModel.decode(try m.encoded())
        #expect(back == m)
        #expect(try back.graph.initializers[1].floatValues() == [1, -2, .infinity])
    }

    @Test func typedAndRawInitializersDecodeToTheSameFloats() throws {
        let values: [Float] = [1.5, -0.25, 3, 65504]
        let raw = ONNXTensor(name: "a", dims: [4], floats: values)
        let typed = ONNXTensor(name: "b", dims: [4], dataType: .float, storage: .floatData(values))
        let double = ONNXTensor(name: "c", dims: [2, 2], dataType: .double, storage: .doubleData(values.map(Double.init)))
        let bf16 = ONNXTensor(name: "d", dims: [4], dataType: .bfloat16, storage: .raw([0xC0, 0x3F, 0x80, 0xBE, 0x40, 0x40, 0x80, 0x47]))
        for t in [raw, typed, double] { #expect(try t.floatValues() == values) }
        #expect(try bf16.floatValues() == [1.5, -0.25, 3, 65536])
    }

    @Test func truncatedFilesAreRefusedAtEveryLength() throws {
        let bytes = try [UInt8](Data(contentsOf: ONNXFixtures.url("torch_mlp")))
        var refused = 0
        for n in 0..<bytes.count {
            do { _ = try ONNXImporter.importModel(try ONNXModel.decode(Array(bytes[0..<n])), file: "torch_mlp.onnx") } catch { refused += 1 }
        }
        // A prefix ending between top-level fields is a valid, smaller ModelProto (onnx writes the
        // graph before opset_import); the importer then refuses it for the missing opset or graph.
        #expect(refused == bytes.count)
    }

    @Test func deepNestingIsRefusedBeforeUnpacking() throws {
        // TypeProto { sequence_type (4) { elem_type (1) { … } } } nested 3 000 times (6 000 levels).
        var inner: [UInt8] = []
        for _ in 0..<3_000 { inner = Self.field(4, Self.field(1, inner)) }
        let model = Self.intField(1, 8) + Self.field(7, Self.field(11, Self.field(1, Array("x".utf8)) + Self.field(2, inner)))
        #expect(throws: ONNXProtoError.self) { try ONNXModel.decode(model) }
        do { _ = try ONNXModel.decode(model) } catch let e as ONNXProtoError {
            guard case .tooDeep(_, 32) = e else { Issue.record("\(e)"); return }
        }
    }

    @Test func millionsOfEmptyMessagesExceedTheAllocationCap() throws {
        // 500 000 empty NodeProtos (2 bytes each) would make protobuf-c allocate ~70 MB from 1 MB.
        let nodes = [UInt8](repeating: 0, count: 0).reserveCapacityAndReturn(1_000_000) + (0..<500_000).flatMap { _ in Self.field(1, []) }
        let model = Self.intField(1, 8) + Self.field(7, nodes)
        do { _ = try ONNXModel.decode(model, limits: ONNXLimits(allocationBase: 1 << 20)); Issue.record("accepted") } catch {
            guard case .tooMuchMemory = error else { Issue.record("\(error)"); return }
        }
    }

    @Test func sizeCapIsCheckedFirst() {
        #expect(throws: ONNXProtoError.tooLarge(bytes: 100, limit: 99)) {
            try ONNXModel.decode([UInt8](repeating: 0, count: 100), limits: ONNXLimits(maxFileBytes: 99))
        }
    }

    @Test func stringsWithNULOrBadUTF8AreRefused() throws {
        let nul = Self.intField(1, 8) + Self.field(2, [0x61, 0x00, 0x62])  // producer_name "a\0b"
        let bad = Self.intField(1, 8) + Self.field(2, [0xFF, 0xFE])
        for bytes in [nul, bad] {
            do { _ = try ONNXModel.decode(bytes); Issue.record("accepted") } catch {
                guard case .malformed(2, _) = error else { Issue.record("\(error)"); return }
            }
        }
    }

    @Test func tensorDataMustMatchItsDimensions() throws {
        func decodeTensor(_ t: ONNXTensor) -> ONNXProtoError? {
            var m = Self.small
            m.graph.initializers = [t]
            do { _ = try ONNXModel.decode(try m.encoded()); return nil } catch { return error }
        }
        let short = ONNXTensor(name: "W", dims: [2, 2], dataType: .float, storage: .raw([0, 0, 0, 0]))
        guard case .invalid(let place, let reason)? = decodeTensor(short) else { Issue.record("short raw_data accepted"); return }
        #expect(place.contains("\"W\"") && reason.contains("raw_data holds 4 bytes, the dimensions [2, 2] of float32 need 16"))
        let typed = ONNXTensor(name: "W", dims: [3], dataType: .float, storage: .floatData([1, 2]))
        #expect(decodeTensor(typed) != nil)
        let negative = ONNXTensor(name: "W", dims: [-1], dataType: .float, storage: .floatData([]))
        guard case .invalid(_, let r2)? = decodeTensor(negative) else { Issue.record("negative dim accepted"); return }
        #expect(r2.contains("negative"))
        let huge = ONNXTensor(name: "W", dims: [1 << 20, 1 << 20, 1 << 20], dataType: .float, storage: .floatData([1]))
        guard case .invalid(_, let r3)? = decodeTensor(huge) else { Issue.record("overflowing dims accepted"); return }
        #expect(r3.contains("limit"))
    }

    @Test func seededMutationsOfRealModelsNeverCrash() throws {
        var rng = SeededGenerator(seed: 9)
        for name in ["torch_mlp", "sklearn_mlp_classifier_zipmap", "initializer_dtypes"] {
            let bytes = try [UInt8](Data(contentsOf: ONNXFixtures.url(name)))
            for _ in 0..<300 {
                var b = bytes
                for _ in 0..<(1 + Int(rng.next() % 4)) {
                    let i = Int(rng.next() % UInt64(b.count))
                    b[i] = UInt8(truncatingIfNeeded: rng.next())
                }
                // Either error is fine; the import must not crash or accept inconsistent data.
                if let m = try? ONNXModel.decode(b) {
                    if let f = try? ONNXImporter.importModel(m, file: name) { try f.validate() }
                }
            }
        }
    }
}

private extension Array where Element == UInt8 {
    func reserveCapacityAndReturn(_ n: Int) -> [UInt8] { var a = self; a.reserveCapacity(n); return a }
}
