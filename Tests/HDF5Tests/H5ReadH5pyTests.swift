import Foundation
import Testing
import TestSupport
@testable import _HDF5

/// Reads `fixtures/hdf5/h5py_reference.h5`, written by h5py 3.14.0 (`fixtures/hdf5/make_h5py_reference.py`);
/// the expected values below are the ones that script stores.
@Suite struct H5ReadH5pyTests {
    let file: H5File
    init() throws { file = try H5File(openingReadOnly: Fixtures.url("hdf5/h5py_reference.h5")) }

    @Test func readsFixedLengthNullPaddedStringArraysAndScalars() throws {
        let root = try file.root
        let a = try root.attribute("fixed_array")
        #expect(a.elementType == .string(fixedSize: 7))
        #expect(a.shape == [3])
        #expect(try a.readStrings() == ["dense", "dense_1", ""])
        #expect(try root.stringAttribute("fixed_scalar") == "tensorflow")
    }

    @Test func readsVariableLengthStringsAsH5py3WritesThem() throws {
        let root = try file.root
        #expect(try root.attribute("vlen_scalar_str").elementType == .string(fixedSize: nil))
        #expect(try root.stringAttribute("vlen_scalar_str") == "caf\u{e9} \u{2713}")
        #expect(try root.stringAttribute("vlen_scalar_bytes") == "3.15.1")
        #expect(try root.stringArrayAttribute("vlen_array") == ["dense/kernel:0", "dense/bias:0"])
        #expect(try root.stringArrayAttribute("vlen_array_str") == ["a", "\u{fc}"])
    }

    @Test func readsNumericAttributesAndEmptyArrays() throws {
        let root = try file.root
        #expect(try root.int64Attribute("int_scalar") == -42)
        #expect(try root.doubleAttribute("float_scalar") == 0.1)
        #expect(try root.attribute("float_array").readDoubles() == [1.5, -2.0])
        // Keras writes weight_names of a weightless layer as an empty float64 array.
        #expect(try root.stringArrayAttribute("empty_array") == [])
        #expect(throws: HDF5Error.self) { try root.int64Attribute("float_scalar") }
        #expect(throws: HDF5Error.self) { try root.stringAttribute("int_scalar") }
    }

    @Test func listsAttributesAndMembersWithTheirKinds() throws {
        let root = try file.root
        #expect(try root.attributeNames() == ["empty_array", "fixed_array", "fixed_scalar", "float_array", "float_scalar",
                                              "int_scalar", "vlen_array", "vlen_array_str", "vlen_scalar_bytes", "vlen_scalar_str"])
        #expect(try root.members() == [H5Member(name: "data", kind: .group), H5Member(name: "links", kind: .group), H5Member(name: "ordered", kind: .group)])
        let links = try root.group("links")
        #expect(try links.members() == [
            H5Member(name: "external", kind: .externalLink), H5Member(name: "external_storage", kind: .dataset),
            H5Member(name: "inner", kind: .group), H5Member(name: "soft", kind: .softLink), H5Member(name: "target", kind: .dataset),
        ])
    }

    @Test func listsInCreationOrderWhenTrackedAndThrowsOtherwise() throws {
        let ordered = try file.root.group("ordered")
        #expect(try ordered.members(order: .creation).map(\.name) == ["zeta", "alpha", "mid"])
        #expect(try ordered.members(order: .name).map(\.name) == ["alpha", "mid", "zeta"])
        #expect(throws: HDF5Error.self) { try file.root.group("data").members(order: .creation) }
    }

    @Test func readsDatasetsConvertedByLibhdf5() throws {
        let data = try file.root.group("data")
        let f32 = try data.dataset("f32")
        #expect(f32.shape == [2, 3])
        #expect(f32.elementType == .float(bits: 32, exponentBits: 8))
        #expect(try f32.readFloats() == [1.0, -2.5, 3.25, 0.0, 1e-8, -1e30])
        #expect(try data.dataset("f64").readDoubles() == [0.1, -0.2])
        #expect(try data.dataset("f64").readFloats() == [Float(0.1), Float(-0.2)])
        let i32 = try data.dataset("i32")
        #expect(i32.elementType == .integer(bits: 32, signed: true))
        #expect(try i32.readInt64s() == [1, -2, 3, 2147483647])
        #expect(try i32.readDoubles() == [1, -2, 3, 2147483647])
        #expect(try data.dataset("u16").readUInt16Bits() == [0, 1, 65535])
        let scalar = try data.dataset("scalar")
        #expect(scalar.shape == [])
        #expect(try scalar.readFloats() == [7.5])
        #expect(throws: HDF5Error.self) { try data.dataset("f32").readInt64s() }
        #expect(throws: HDF5Error.self) { try data.dataset("strings").readFloats() }
    }

    @Test func convertsIEEEHalfToFloatAndKeepsItsBits() throws {
        let f16 = try file.root.dataset("data/f16")
        #expect(f16.elementType == .float(bits: 16, exponentBits: 5))
        // Values chosen to be exact in binary16: 1, -2, smallest normal 2^-14, max 65504, inf, smallest subnormal 2^-24.
        #expect(try f16.readFloats() == [1.0, -2.0, 0x1p-14, 65504.0, .infinity, 0x1p-24])
        #expect(try f16.readUInt16Bits() == [0x3C00, 0xC000, 0x0400, 0x7BFF, 0x7C00, 0x0001])
    }

    @Test func openingAPathThroughTheWrongKindOfObjectIsATypedError() throws {
        let root = try file.root
        #expect(throws: HDF5Error.self) { try root.group("data/f32") }
        #expect(throws: HDF5Error.self) { try root.dataset("data") }
        do {
            _ = try root.dataset("data/missing")
            Issue.record("expected notFound")
        } catch let e as HDF5Error {
            #expect(e.kind == .notFound)
            #expect(e.object == "/data/missing")
            #expect(e.file.hasSuffix("h5py_reference.h5"))
        }
        #expect(try root.contains("data/f32"))
        #expect(try !root.contains("data/nope"))
        #expect(try !root.contains("nope/deeper"))
    }
}
