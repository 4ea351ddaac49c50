import Format
import _HDF5

/// A weight read from a Keras file, labelled with where it came from (for error messages).
struct KerasWeight {
    /// `dense/kernel:0`, `layers/dense/vars/0`, …
    var label: String
    var tensor: Tensor
}

extension H5AttributeOwner {
    /// A string-list attribute that Keras may split when large: `name`, or `name0`, `name1`, … in
    /// order (Keras' `save_attributes_to_hdf5_group` splits attributes above the 64 KiB object-header
    /// limit). Scalars read as one string; empty arrays of any type (Keras writes weightless layers'
    /// `weight_names` as an empty float64 array) as `[]`. Returns nil when neither form exists.
    func kerasStringList(_ name: String) throws -> [String]? {
        if try hasAttribute(name) { return try stringArrayAttribute(name) }
        var out: [String] = []
        var i = 0
        while try hasAttribute("\(name)\(i)") {
            out += try stringArrayAttribute("\(name)\(i)")
            i += 1
        }
        return i == 0 ? nil : out
    }

    /// A scalar string attribute, or nil when absent.
    func kerasString(_ name: String) throws -> String? {
        try hasAttribute(name) ? try stringAttribute(name) : nil
    }
}

extension H5Dataset {
    /// The dataset as a tensor with the stored precision: float32, float64, float16 and bfloat16
    /// kept; integer datasets (Keras' Normalization `count`) widened to float32.
    /// - Throws: ``KerasImportError/badStructure`` for other element types.
    func kerasTensor() throws -> Tensor {
        switch elementType {
        case .float(32, _):
            return Tensor(shape: shape, values: try readFloats())
        case .float(64, _):
            return Tensor(shape: shape, doubles: try readDoubles())
        case .float(16, let e):
            let bits = try readUInt16Bits()
            var bytes = [UInt8]()
            bytes.reserveCapacity(bits.count * 2)
            for b in bits { bytes.append(UInt8(b & 0xFF)); bytes.append(UInt8(b >> 8)) }
            return try Tensor(dtype: e == 8 ? .bfloat16 : .float16, shape: shape, bytes: bytes)
        case .integer:
            return Tensor(shape: shape, values: try readFloats())
        default:
            throw KerasImportError.badStructure(file: file.path, place: path, reason: "dataset of type \(elementType); expected floating-point numbers")
        }
    }

    /// The single integer of a scalar (or one-element) integer dataset, such as Keras' `iteration`.
    func kerasScalarInt() throws -> Int {
        let v: [Int64]
        switch elementType {
        case .integer: v = try readInt64s()
        default:
            let d = try readDoubles()
            guard d.allSatisfy({ $0.rounded() == $0 && abs($0) < 9e15 }) else {
                throw KerasImportError.badStructure(file: file.path, place: path, reason: "expected an integer, found \(d)")
            }
            v = d.map { Int64($0) }
        }
        guard v.count == 1, v[0] >= 0, v[0] <= Int64(Int32.max) * 1024 else {
            throw KerasImportError.badStructure(file: file.path, place: path, reason: "expected one non-negative integer, found \(v.prefix(4))")
        }
        return Int(v[0])
    }
}

extension H5Group {
    /// The datasets named `0`, `1`, … of a Keras 3 `vars` group, in numeric order.
    /// - Throws: ``KerasImportError/badStructure`` when the names are not exactly `0..<n`.
    func kerasNumberedVars() throws -> [H5Dataset] {
        let members = try members()
        var byIndex: [Int: String] = [:]
        for m in members {
            guard let i = Int(m.name), i >= 0, String(i) == m.name, m.kind == .dataset else {
                throw KerasImportError.badStructure(file: file.path, place: "\(path)/\(m.name)", reason: "expected datasets named 0, 1, 2, …")
            }
            byIndex[i] = m.name
        }
        return try (0..<byIndex.count).map { i in
            guard let name = byIndex[i] else {
                throw KerasImportError.badStructure(file: file.path, place: path, reason: "variables are not numbered 0..<\(byIndex.count): \(i) is missing")
            }
            return try dataset(name)
        }
    }
}
