import CHDF5
import Foundation

/// How a string attribute is stored.
public enum H5StringStorage: Sendable {
    /// Variable-length strings, UTF-8 character set: what h5py 3 writes for `str` and `bytes`
    /// values (Keras 3 and tf_keras 2.21 files have only these).
    case variableLength
    /// Fixed-length, null-padded strings sized to the longest element (at least 1 byte), ASCII
    /// character set when every string is ASCII, UTF-8 otherwise: what h5py writes for NumPy
    /// `S` arrays such as Keras 2's `np.array([b"dense", ...])` under h5py 2.
    case fixedLength
}

/// An open attribute with its shape and element type. Owns its `hid_t` and closes it in `deinit`.
public final class H5Attribute {
    let id: hid_t
    public let file: H5File
    /// The attribute's name.
    public let name: String
    /// `objectPath@name`, as used in errors.
    public let path: String
    /// `[]` for a scalar, `[n]` for a 1-D array, `[0]` for a null dataspace (h5py `Empty`).
    public let shape: [Int]
    public let elementType: H5ElementType

    init(id: hid_t, file: H5File, name: String, path: String) throws {
        self.id = id
        self.file = file
        self.name = name
        self.path = path
        do {
            let space = try H5Library.check(H5Aget_space(id), "H5Aget_space", file: file.path, object: path)
            defer { H5Sclose(space) }
            shape = try h5Extent(space: space, maxRank: file.limits.maxRank, file: file.path, object: path)
            let type = try H5Library.check(H5Aget_type(id), "H5Aget_type", file: file.path, object: path)
            defer { H5Tclose(type) }
            elementType = H5ElementType(type: type)
        } catch {
            H5Aclose(id)
            throw error
        }
    }

    deinit { H5Aclose(id) }

    /// Element count, checked against ``H5Limits/maxAttributeElements``.
    private func checkedCount() throws -> Int {
        let limits = file.limits
        return try h5CheckedCount(shape, elementSize: 1, maxElements: limits.maxAttributeElements, maxBytes: Int.max, file: file.path, object: path)
    }

    /// The strings of a scalar or array string attribute, fixed- or variable-length, in element order.
    ///
    /// Fixed-length elements end at their first NUL (null-terminated and null-padded) or lose
    /// trailing spaces (space-padded). Bytes that are not UTF-8 are replaced with U+FFFD.
    /// A zero-element attribute of any type (Keras writes `weight_names` of a weightless layer as an
    /// empty float64 array) reads as `[]`.
    /// - Throws: `.wrongType` for non-string data; `.limitExceeded` beyond ``H5Limits/maxAttributeElements``
    ///   elements or ``H5Limits/maxStringBytes`` bytes (fixed-length: checked before reading;
    ///   variable-length: libhdf5 allocates the strings, the total is checked right after).
    public func readStrings() throws -> [String] {
        let n = try checkedCount()
        if n == 0 { return [] }
        guard case .string(let fixedSize) = elementType else {
            throw HDF5Error(kind: .wrongType, call: "type check", file: file.path, object: path,
                            message: "expected a string attribute, found \(elementType)")
        }
        let ftype = try H5Library.check(H5Aget_type(id), "H5Aget_type", file: file.path, object: path)
        defer { H5Tclose(ftype) }
        if let size = fixedSize {
            let (total, o) = n.multipliedReportingOverflow(by: size)
            guard !o, total <= file.limits.maxStringBytes else {
                throw tooLong(o ? Int.max : total)
            }
            let mtype = try H5Library.check(H5Tcopy(ftype), "H5Tcopy", file: file.path, object: path)
            defer { H5Tclose(mtype) }
            let pad = H5Tget_strpad(ftype)
            var bytes = [UInt8](repeating: 0, count: total)
            try H5Library.check(H5Aread(id, mtype, &bytes), "H5Aread", file: file.path, object: path)
            return (0..<n).map { i in
                var slice = bytes[(i * size)..<((i + 1) * size)]
                if pad == H5T_STR_SPACEPAD {
                    while let last = slice.last, last == 0x20 || last == 0 { slice = slice.dropLast() }
                } else if let nul = slice.firstIndex(of: 0) {
                    slice = slice[slice.startIndex..<nul]
                }
                return String(decoding: slice, as: UTF8.self)
            }
        }
        let mtype = try H5Library.check(H5Tcopy(nnk_H5T_C_S1()), "H5Tcopy", file: file.path, object: path)
        defer { H5Tclose(mtype) }
        try H5Library.check(H5Tset_size(mtype, nnk_H5T_VARIABLE()), "H5Tset_size", file: file.path, object: path)
        try H5Library.check(H5Tset_cset(mtype, H5Tget_cset(ftype)), "H5Tset_cset", file: file.path, object: path)
        let space = try H5Library.check(H5Aget_space(id), "H5Aget_space", file: file.path, object: path)
        defer { H5Sclose(space) }
        var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: n)
        try H5Library.check(H5Aread(id, mtype, &pointers), "H5Aread", file: file.path, object: path)
        defer { H5Dvlen_reclaim(mtype, space, nnk_H5P_DEFAULT(), &pointers) }
        var total = 0
        var out: [String] = []
        out.reserveCapacity(n)
        for p in pointers {
            guard let p else { out.append(""); continue }
            let len = strnlen(p, file.limits.maxStringBytes - total + 1)
            total += len
            guard total <= file.limits.maxStringBytes else { throw tooLong(total) }
            out.append(String(decoding: UnsafeRawBufferPointer(start: p, count: len), as: UTF8.self))
        }
        return out
    }

    /// The string of a scalar string attribute (or a 1-element array).
    /// - Throws: `.wrongType` when the attribute holds a number of strings other than one.
    public func readString() throws -> String {
        let s = try readStrings()
        guard s.count == 1 else {
            throw HDF5Error(kind: .wrongType, call: "shape check", file: file.path, object: path,
                            message: "expected one string, found \(s.count) (shape \(shape))")
        }
        return s[0]
    }

    /// The values of a numeric attribute converted to Double (scalar → one element).
    public func readDoubles() throws -> [Double] {
        try readNumbers(Double.self, memType: nnk_H5T_NATIVE_DOUBLE(), integerOnly: false)
    }

    /// The values of an integer attribute as Int64 (float attributes are refused).
    public func readInt64s() throws -> [Int64] {
        try readNumbers(Int64.self, memType: nnk_H5T_NATIVE_INT64(), integerOnly: true)
    }

    private func readNumbers<T>(_: T.Type, memType: hid_t, integerOnly: Bool) throws -> [T] {
        let n = try checkedCount()
        if n == 0 { return [] }
        switch elementType {
        case .integer: break
        case .float where !integerOnly: break
        default:
            throw HDF5Error(kind: .wrongType, call: "type check", file: file.path, object: path,
                            message: "expected \(integerOnly ? "an integer" : "a numeric") attribute, found \(elementType)")
        }
        return try [T](unsafeUninitializedCapacity: n) { buf, count in
            try H5Library.check(H5Aread(id, memType, buf.baseAddress), "H5Aread", file: file.path, object: path)
            count = n
        }
    }

    private func tooLong(_ bytes: Int) -> HDF5Error {
        HDF5Error(kind: .limitExceeded, call: "size check", file: file.path, object: path,
                  message: "string attribute of \(bytes == Int.max ? "overflowing" : String(bytes)) bytes exceeds the limit of \(file.limits.maxStringBytes)")
    }
}

/// Groups and datasets: objects that carry attributes.
public protocol H5AttributeOwner: AnyObject {
    var file: H5File { get }
    var path: String { get }
    /// The libhdf5 id of the object (internal use).
    var objectID: hid_t { get }
}

extension H5AttributeOwner {
    /// Names of the attributes, ascending by name.
    public func attributeNames() throws -> [String] {
        let box = H5NameCollector()
        box.limit = file.limits.maxMembers
        var idx: hsize_t = 0
        let rc = H5Aiterate2(objectID, H5_INDEX_NAME, H5_ITER_INC, &idx, { _, name, _, data in
            guard let name, let data else { return -1 }
            let box = Unmanaged<H5NameCollector>.fromOpaque(data).takeUnretainedValue()
            guard box.names.count < box.limit else { box.overflow = true; return 1 }
            box.names.append(String(cString: name))
            return 0
        }, Unmanaged.passUnretained(box).toOpaque())
        withExtendedLifetime(box) {}
        try H5Library.check(rc, "H5Aiterate2", file: file.path, object: path)
        if box.overflow {
            throw HDF5Error(kind: .limitExceeded, call: "attribute count check", file: file.path, object: path,
                            message: "more than \(file.limits.maxMembers) attributes")
        }
        return box.names
    }

    /// Whether an attribute called `name` exists on this object.
    public func hasAttribute(_ name: String) throws -> Bool {
        try H5Library.check(H5Aexists(objectID, name), "H5Aexists", file: file.path, object: "\(path)@\(name)") > 0
    }

    /// Opens the attribute `name`.
    /// - Throws: ``HDF5Error/Kind/notFound`` when it does not exist.
    public func attribute(_ name: String) throws -> H5Attribute {
        let where_ = "\(path)@\(name)"
        guard try hasAttribute(name) else {
            throw HDF5Error(kind: .notFound, call: "H5Aexists", file: file.path, object: where_, message: "no attribute \"\(name)\" on \(path)")
        }
        let aid = try H5Library.check(H5Aopen(objectID, name, nnk_H5P_DEFAULT()), "H5Aopen", file: file.path, object: where_)
        return try H5Attribute(id: aid, file: file, name: name, path: where_)
    }

    /// The string of scalar string attribute `name` (fixed- or variable-length).
    public func stringAttribute(_ name: String) throws -> String { try attribute(name).readString() }

    /// The strings of string-array attribute `name` (a scalar reads as one string; empty arrays of any type as `[]`).
    public func stringArrayAttribute(_ name: String) throws -> [String] { try attribute(name).readStrings() }

    /// The single number of numeric attribute `name`, as Double.
    public func doubleAttribute(_ name: String) throws -> Double {
        let a = try attribute(name)
        let v = try a.readDoubles()
        guard v.count == 1 else {
            throw HDF5Error(kind: .wrongType, call: "shape check", file: file.path, object: a.path, message: "expected one number, found \(v.count)")
        }
        return v[0]
    }

    /// The single integer of integer attribute `name`.
    public func int64Attribute(_ name: String) throws -> Int64 {
        let a = try attribute(name)
        let v = try a.readInt64s()
        guard v.count == 1 else {
            throw HDF5Error(kind: .wrongType, call: "shape check", file: file.path, object: a.path, message: "expected one integer, found \(v.count)")
        }
        return v[0]
    }

    // MARK: - Writing (an existing attribute of the same name is replaced)

    /// Writes a scalar string attribute.
    public func setAttribute(_ name: String, string: String, storage: H5StringStorage = .variableLength) throws {
        try writeStrings(name, [string], shape: [], storage: storage)
    }

    /// Writes a 1-D string-array attribute of `strings.count` elements.
    public func setAttribute(_ name: String, strings: [String], storage: H5StringStorage = .variableLength) throws {
        try writeStrings(name, strings, shape: [strings.count], storage: storage)
    }

    /// Removes attribute `name`.
    /// - Throws: ``HDF5Error/Kind/notFound`` when it does not exist.
    public func deleteAttribute(_ name: String) throws {
        guard try hasAttribute(name) else {
            throw HDF5Error(kind: .notFound, call: "H5Aexists", file: file.path, object: "\(path)@\(name)", message: "no attribute \"\(name)\" on \(path)")
        }
        try H5Library.check(H5Adelete(objectID, name), "H5Adelete", file: file.path, object: "\(path)@\(name)")
    }

    /// Writes a scalar float64 attribute.
    public func setAttribute(_ name: String, double: Double) throws {
        var v = double
        try writeScalar(name, fileType: nnk_H5T_IEEE_F64LE(), memType: nnk_H5T_NATIVE_DOUBLE(), &v)
    }

    /// Writes a scalar int64 attribute.
    public func setAttribute(_ name: String, int64: Int64) throws {
        var v = int64
        try writeScalar(name, fileType: nnk_H5T_STD_I64LE(), memType: nnk_H5T_NATIVE_INT64(), &v)
    }

    private func writeScalar<T: BitwiseCopyable>(_ name: String, fileType: hid_t, memType: hid_t, _ value: inout T) throws {
        let where_ = "\(path)@\(name)"
        let space = try h5CreateSpace([], file: file.path, object: where_)
        defer { H5Sclose(space) }
        let aid = try createReplacing(name, type: fileType, space: space)
        defer { H5Aclose(aid) }
        _ = try withUnsafeBytes(of: &value) { try H5Library.check(H5Awrite(aid, memType, $0.baseAddress), "H5Awrite", file: file.path, object: where_) }
    }

    private func createReplacing(_ name: String, type: hid_t, space: hid_t) throws -> hid_t {
        let where_ = "\(path)@\(name)"
        if try hasAttribute(name) {
            try H5Library.check(H5Adelete(objectID, name), "H5Adelete", file: file.path, object: where_)
        }
        return try H5Library.check(H5Acreate2(objectID, name, type, space, nnk_H5P_DEFAULT(), nnk_H5P_DEFAULT()), "H5Acreate2", file: file.path, object: where_)
    }

    private func writeStrings(_ name: String, _ strings: [String], shape: [Int], storage: H5StringStorage) throws {
        let where_ = "\(path)@\(name)"
        let utf8 = strings.map { Array($0.utf8) }
        guard !utf8.contains(where: { $0.contains(0) }) else {
            throw HDF5Error(kind: .wrongType, call: "string check", file: file.path, object: where_, message: "strings must not contain NUL bytes")
        }
        let type = try H5Library.check(H5Tcopy(nnk_H5T_C_S1()), "H5Tcopy", file: file.path, object: where_)
        defer { H5Tclose(type) }
        let space = try h5CreateSpace(shape, file: file.path, object: where_)
        defer { H5Sclose(space) }
        switch storage {
        case .fixedLength:
            let size = max(1, utf8.map(\.count).max() ?? 1)
            let ascii = utf8.allSatisfy { $0.allSatisfy { $0 < 0x80 } }
            try H5Library.check(H5Tset_size(type, size), "H5Tset_size", file: file.path, object: where_)
            try H5Library.check(H5Tset_strpad(type, H5T_STR_NULLPAD), "H5Tset_strpad", file: file.path, object: where_)
            try H5Library.check(H5Tset_cset(type, ascii ? H5T_CSET_ASCII : H5T_CSET_UTF8), "H5Tset_cset", file: file.path, object: where_)
            var buffer = [UInt8](repeating: 0, count: size * utf8.count)
            for (i, s) in utf8.enumerated() { buffer.replaceSubrange((i * size)..<(i * size + s.count), with: s) }
            let aid = try createReplacing(name, type: type, space: space)
            defer { H5Aclose(aid) }
            try H5Library.check(H5Awrite(aid, type, buffer), "H5Awrite", file: file.path, object: where_)
        case .variableLength:
            try H5Library.check(H5Tset_size(type, nnk_H5T_VARIABLE()), "H5Tset_size", file: file.path, object: where_)
            try H5Library.check(H5Tset_cset(type, H5T_CSET_UTF8), "H5Tset_cset", file: file.path, object: where_)
            let pointers: [UnsafeMutablePointer<CChar>?] = utf8.map { bytes in
                let p = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count + 1)
                bytes.withUnsafeBufferPointer { b in
                    for (i, c) in b.enumerated() { p[i] = CChar(bitPattern: c) }
                }
                p[bytes.count] = 0
                return p
            }
            defer { pointers.forEach { $0?.deallocate() } }
            let aid = try createReplacing(name, type: type, space: space)
            defer { H5Aclose(aid) }
            try H5Library.check(H5Awrite(aid, type, pointers), "H5Awrite", file: file.path, object: where_)
        }
    }
}

/// Callback state for `H5Aiterate2` (a type nested in a generic context cannot be used there).
final class H5NameCollector {
    var names: [String] = []
    var limit = 0
    var overflow = false
}
