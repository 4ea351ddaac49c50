import Foundation
import Testing
import TestSupport
@testable import _HDF5

/// Everything the writer produces reads back identically, and has the stored types h5py and Keras expect.
@Suite struct H5WriteReadTests {
    @Test func everyAttributeKindRoundTrips() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("a.h5")
        do {
            let f = try H5File(creatingTruncating: url)
            let root = try f.root
            try root.setAttribute("vlen", string: "{\"a\": \"\u{e9}\"}")
            try root.setAttribute("fixed", string: "tensorflow", storage: .fixedLength)
            try root.setAttribute("fixed_utf8", string: "\u{2713}", storage: .fixedLength)
            try root.setAttribute("names_fixed", strings: ["dense", "dense_1", ""], storage: .fixedLength)
            try root.setAttribute("names_vlen", strings: ["dense/kernel:0", "dense/bias:0"])
            try root.setAttribute("empty_fixed", strings: [], storage: .fixedLength)
            try root.setAttribute("empty_vlen", strings: [])
            try root.setAttribute("d", double: -0.1)
            try root.setAttribute("i", int64: Int64.min)
            try root.setAttribute("replaced", string: "first")
            try root.setAttribute("replaced", int64: 2)
            // Larger than the 64 KiB object-header limit of the old format.
            try root.setAttribute("big", string: String(repeating: "x", count: 200_000))
        }
        let f = try H5File(openingReadOnly: url)
        let root = try f.root
        #expect(try root.stringAttribute("vlen") == "{\"a\": \"\u{e9}\"}")
        #expect(try root.attribute("vlen").elementType == .string(fixedSize: nil))
        #expect(try root.attribute("fixed").elementType == .string(fixedSize: 10))
        #expect(try root.stringAttribute("fixed") == "tensorflow")
        #expect(try root.stringAttribute("fixed_utf8") == "\u{2713}")
        let names = try root.attribute("names_fixed")
        #expect(names.elementType == .string(fixedSize: 7))
        #expect(names.shape == [3])
        #expect(try names.readStrings() == ["dense", "dense_1", ""])
        #expect(try root.stringArrayAttribute("names_vlen") == ["dense/kernel:0", "dense/bias:0"])
        #expect(try root.stringArrayAttribute("empty_fixed") == [])
        #expect(try root.stringArrayAttribute("empty_vlen") == [])
        #expect(try root.doubleAttribute("d") == -0.1)
        #expect(try root.int64Attribute("i") == Int64.min)
        #expect(try root.int64Attribute("replaced") == 2)
        #expect(try root.stringAttribute("big").count == 200_000)
    }

    @Test func everyDatasetKindRoundTripsWithShape() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("d.h5")
        let floats: [Float] = [0, -0, 1, -1.5, .infinity, -.infinity, .leastNonzeroMagnitude, .greatestFiniteMagnitude]
        let doubles: [Double] = [0.1, -1e300, .leastNonzeroMagnitude]
        let halves: [UInt16] = [0x3C00, 0x7E00, 0x8001, 0xFFFF]
        do {
            let f = try H5File(creatingTruncating: url)
            let w = try f.root.createGroup("model_weights")
            // Keras 2 weight names contain a slash: intermediate groups are created.
            try w.createDataset("dense/dense/kernel:0", shape: [2, 4], floats: floats)
            try w.createDataset("f64", shape: [3], doubles: doubles)
            try w.createDataset("u16", shape: [2, 2], uint16s: halves)
            try w.createDataset("iteration", shape: [], int64s: [12345])
            try w.createDataset("empty", shape: [0, 3], floats: [])
            try w.group("dense").setAttribute("weight_names", strings: ["dense/kernel:0"])
            #expect(throws: HDF5Error.self) { try w.createDataset("bad", shape: [3], floats: [1, 2]) }
        }
        let f = try H5File(openingReadOnly: url)
        let w = try f.root.group("model_weights")
        let k = try w.dataset("dense/dense/kernel:0")
        #expect(k.shape == [2, 4])
        #expect(k.elementType == .float(bits: 32, exponentBits: 8))
        let back = try k.readFloats()
        #expect(back.map(\.bitPattern) == floats.map(\.bitPattern))
        #expect(try w.dataset("f64").readDoubles().map(\.bitPattern) == doubles.map(\.bitPattern))
        let u = try w.dataset("u16")
        #expect(u.elementType == .integer(bits: 16, signed: false))
        #expect(try u.readUInt16Bits() == halves)
        let it = try w.dataset("iteration")
        #expect(it.shape == [])
        #expect(try it.readInt64s() == [12345])
        let e = try w.dataset("empty")
        #expect(e.shape == [0, 3])
        #expect(try e.readFloats() == [])
        #expect(try w.members() == [H5Member(name: "dense", kind: .group), H5Member(name: "empty", kind: .dataset),
                                    H5Member(name: "f64", kind: .dataset), H5Member(name: "iteration", kind: .dataset),
                                    H5Member(name: "u16", kind: .dataset)])
        #expect(try w.group("dense").stringArrayAttribute("weight_names") == ["dense/kernel:0"])
    }

    @Test func creatingTruncatesAnExistingFile() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("t.h5")
        do { _ = try H5File(creatingTruncating: url).root.createGroup("old") }
        do { _ = try H5File(creatingTruncating: url) }
        #expect(try H5File(openingReadOnly: url).root.members() == [])
    }
}
