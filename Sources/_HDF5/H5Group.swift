import CHDF5

/// The kind of object a link in a group points to.
public enum H5ObjectKind: Sendable, Equatable {
    case group
    case dataset
    case namedDatatype
    /// A soft link (a path inside the file); nnkit does not follow it.
    case softLink
    /// A link into another file; nnkit refuses to follow it.
    case externalLink
    /// A user-defined link class; nnkit refuses to follow it.
    case userDefinedLink
    /// A hard link to an object of an unknown type.
    case unknown
}

/// One link in a group: its name and what it points to.
public struct H5Member: Sendable, Equatable {
    public var name: String
    public var kind: H5ObjectKind
    public init(name: String, kind: H5ObjectKind) {
        self.name = name
        self.kind = kind
    }
}

/// The order in which ``H5Group/members(order:)`` lists links.
public enum H5LinkOrder: Sendable {
    /// Ascending by name (byte order), as h5py iterates by default.
    case name
    /// Order of creation; only available when the group tracks it (h5py `track_order=True`), otherwise the call throws.
    case creation
}

/// An open group. Owns its `hid_t` and closes it in `deinit`; keeps its file open.
///
/// Paths passed to ``group(_:)``, ``dataset(_:)`` and ``contains(_:)`` are relative (`"a/b"`) and
/// are walked one link at a time: every link on the way must be a hard link, so external, soft and
/// user-defined links are refused (``HDF5Error/Kind/linkRefused``) before libhdf5 follows them.
public final class H5Group: H5AttributeOwner {
    let id: hid_t
    /// The file this group belongs to.
    public let file: H5File
    /// The absolute object path, e.g. `/model_weights/dense`.
    public let path: String

    public var objectID: hid_t { id }

    init(openRootOf file: H5File) throws {
        self.file = file
        self.path = "/"
        id = try H5Library.check(H5Gopen2(file.id, "/", nnk_H5P_DEFAULT()), "H5Gopen2", file: file.path, object: "/")
    }

    init(id: hid_t, file: H5File, path: String) {
        self.id = id
        self.file = file
        self.path = path
    }

    deinit { H5Gclose(id) }

    // MARK: - Navigation

    /// The links of this group with the kind of object each points to, without following
    /// external or soft links.
    /// - Throws: ``HDF5Error/Kind/limitExceeded`` beyond ``H5Limits/maxMembers`` links; `callFailed`
    ///   with `H5Literate` when `order == .creation` and the group does not track creation order.
    public func members(order: H5LinkOrder = .name) throws -> [H5Member] {
        final class Box {
            var members: [H5Member] = []
            var limit = 0
            var overflow = false
        }
        let box = Box()
        box.limit = file.limits.maxMembers
        var idx: hsize_t = 0
        let index = order == .name ? H5_INDEX_NAME : H5_INDEX_CRT_ORDER
        let rc = H5Literate(id, index, H5_ITER_INC, &idx, { group, name, info, data in
            guard let name, let info, let data else { return -1 }
            let box = Unmanaged<Box>.fromOpaque(data).takeUnretainedValue()
            guard box.members.count < box.limit else { box.overflow = true; return 1 }
            let kind: H5ObjectKind
            switch info.pointee.type {
            case H5L_TYPE_HARD:
                var oinfo = H5O_info_t()
                if H5Oget_info_by_name2(group, name, &oinfo, UInt32(H5O_INFO_BASIC), nnk_H5P_DEFAULT()) < 0 {
                    kind = .unknown
                } else {
                    switch oinfo.type {
                    case H5O_TYPE_GROUP: kind = .group
                    case H5O_TYPE_DATASET: kind = .dataset
                    case H5O_TYPE_NAMED_DATATYPE: kind = .namedDatatype
                    default: kind = .unknown
                    }
                }
            case H5L_TYPE_SOFT: kind = .softLink
            case H5L_TYPE_EXTERNAL: kind = .externalLink
            default: kind = .userDefinedLink
            }
            box.members.append(H5Member(name: String(cString: name), kind: kind))
            return 0
        }, Unmanaged.passUnretained(box).toOpaque())
        withExtendedLifetime(box) {}
        try H5Library.check(rc, "H5Literate", file: file.path, object: path)
        if box.overflow {
            throw HDF5Error(kind: .limitExceeded, call: "member count check", file: file.path, object: path,
                            message: "group has more than \(file.limits.maxMembers) links")
        }
        return box.members
    }

    /// Whether a hard-linked object exists at the relative `path`.
    ///
    /// Returns false when a link on the way is missing; throws ``HDF5Error/Kind/linkRefused`` when
    /// a link on the way is not a hard link (the file is then not one nnkit reads).
    public func contains(_ path: String) throws -> Bool {
        try resolve(path, throwIfMissing: false) != nil
    }

    /// Opens the group at the relative `path` (e.g. `"model_weights/dense"`).
    /// - Throws: ``HDF5Error`` `.notFound`, `.linkRefused`, or `.wrongType` when the object is not a group.
    public func group(_ path: String) throws -> H5Group {
        guard let (full, kind) = try resolve(path, throwIfMissing: true) else { throw notFound(path) }
        guard kind == H5O_TYPE_GROUP else {
            throw HDF5Error(kind: .wrongType, call: "H5Gopen2", file: file.path, object: full, message: "expected a group, found a \(describe(kind))")
        }
        let gid = try H5Library.check(H5Gopen2(id, path, H5Library.groupAccess), "H5Gopen2", file: file.path, object: full)
        return H5Group(id: gid, file: file, path: full)
    }

    /// Opens the dataset at the relative `path` (e.g. `"dense/dense/kernel:0"`) and reads its shape and type.
    /// - Throws: ``HDF5Error`` `.notFound`, `.linkRefused`, `.wrongType`, `.externalStorageRefused`
    ///   (external files or virtual layout), `.limitExceeded` (rank above ``H5Limits/maxRank``).
    public func dataset(_ path: String) throws -> H5Dataset {
        guard let (full, kind) = try resolve(path, throwIfMissing: true) else { throw notFound(path) }
        guard kind == H5O_TYPE_DATASET else {
            throw HDF5Error(kind: .wrongType, call: "H5Dopen2", file: file.path, object: full, message: "expected a dataset, found a \(describe(kind))")
        }
        let did = try H5Library.check(H5Dopen2(id, path, H5Library.datasetAccess), "H5Dopen2", file: file.path, object: full)
        return try H5Dataset(id: did, file: file, path: full)
    }

    // MARK: - Writing

    /// Creates a group at the relative `path`, creating missing intermediate groups.
    public func createGroup(_ path: String) throws -> H5Group {
        let full = h5Join(self.path, path)
        let lcpl = try linkCreation(full)
        defer { H5Pclose(lcpl) }
        let gid = try H5Library.check(H5Gcreate2(id, path, lcpl, nnk_H5P_DEFAULT(), nnk_H5P_DEFAULT()), "H5Gcreate2", file: file.path, object: full)
        return H5Group(id: gid, file: file, path: full)
    }

    /// Writes a float32 dataset (file type IEEE little-endian float32).
    /// - Parameters:
    ///   - path: relative path; missing intermediate groups are created (Keras' `dense/kernel:0`).
    ///   - shape: `[]` for a scalar; the product must equal `values.count`.
    @discardableResult
    public func createDataset(_ path: String, shape: [Int], floats values: [Float]) throws -> H5Dataset {
        try values.withUnsafeBytes { try createDataset(path, shape: shape, count: values.count, fileType: nnk_H5T_IEEE_F32LE(), memType: nnk_H5T_NATIVE_FLOAT(), data: $0.baseAddress) }
    }

    /// Writes a float64 dataset (file type IEEE little-endian float64).
    @discardableResult
    public func createDataset(_ path: String, shape: [Int], doubles values: [Double]) throws -> H5Dataset {
        try values.withUnsafeBytes { try createDataset(path, shape: shape, count: values.count, fileType: nnk_H5T_IEEE_F64LE(), memType: nnk_H5T_NATIVE_DOUBLE(), data: $0.baseAddress) }
    }

    /// Writes a uint16 dataset (file type little-endian uint16); nnkit stores float16/bfloat16 bit patterns this way.
    @discardableResult
    public func createDataset(_ path: String, shape: [Int], uint16s values: [UInt16]) throws -> H5Dataset {
        try values.withUnsafeBytes { try createDataset(path, shape: shape, count: values.count, fileType: nnk_H5T_STD_U16LE(), memType: nnk_H5T_NATIVE_UINT16(), data: $0.baseAddress) }
    }

    /// Writes an int64 dataset (file type little-endian int64), e.g. Keras' `iteration:0`.
    @discardableResult
    public func createDataset(_ path: String, shape: [Int], int64s values: [Int64]) throws -> H5Dataset {
        try values.withUnsafeBytes { try createDataset(path, shape: shape, count: values.count, fileType: nnk_H5T_STD_I64LE(), memType: nnk_H5T_NATIVE_INT64(), data: $0.baseAddress) }
    }

    private func createDataset(_ path: String, shape: [Int], count: Int, fileType: hid_t, memType: hid_t, data: UnsafeRawPointer?) throws -> H5Dataset {
        let full = h5Join(self.path, path)
        var n = 1
        for d in shape {
            let (p, o) = n.multipliedReportingOverflow(by: d)
            guard d >= 0, !o else { n = -1; break }
            n = p
        }
        guard n == count else {
            throw HDF5Error(kind: .wrongType, call: "shape check", file: file.path, object: full,
                            message: "shape \(shape) does not hold \(count) values")
        }
        let space = try h5CreateSpace(shape, file: file.path, object: full)
        defer { H5Sclose(space) }
        let lcpl = try linkCreation(full)
        defer { H5Pclose(lcpl) }
        let did = try H5Library.check(H5Dcreate2(id, path, fileType, space, lcpl, nnk_H5P_DEFAULT(), nnk_H5P_DEFAULT()), "H5Dcreate2", file: file.path, object: full)
        let ds = try H5Dataset(id: did, file: file, path: full)
        if count > 0 {
            try H5Library.check(H5Dwrite(did, memType, nnk_H5S_ALL(), nnk_H5S_ALL(), nnk_H5P_DEFAULT(), data), "H5Dwrite", file: file.path, object: full)
        }
        return ds
    }

    /// Removes the link `name` (one component) from this group; the object goes when no link is left.
    public func deleteLink(_ name: String) throws {
        try H5Library.check(H5Ldelete(id, name, nnk_H5P_DEFAULT()), "H5Ldelete", file: file.path, object: h5Join(path, name))
    }

    /// Creates a link `name` to `object` in the file `targetFile` (which need not exist). nnkit never
    /// follows such links; this exists to build the files that prove it.
    public func createExternalLink(_ name: String, targetFile: String, object: String) throws {
        try H5Library.check(H5Lcreate_external(targetFile, object, id, name, nnk_H5P_DEFAULT(), nnk_H5P_DEFAULT()),
                            "H5Lcreate_external", file: file.path, object: h5Join(path, name))
    }

    /// Creates a soft link `name` pointing to the path `target` in the same file (refused when reading, like external links).
    public func createSoftLink(_ name: String, target: String) throws {
        try H5Library.check(H5Lcreate_soft(target, id, name, nnk_H5P_DEFAULT(), nnk_H5P_DEFAULT()),
                            "H5Lcreate_soft", file: file.path, object: h5Join(path, name))
    }

    private func linkCreation(_ full: String) throws -> hid_t {
        let lcpl = try H5Library.check(H5Pcreate(nnk_H5P_LINK_CREATE()), "H5Pcreate", file: file.path, object: full)
        if H5Pset_create_intermediate_group(lcpl, 1) < 0 || H5Pset_char_encoding(lcpl, H5T_CSET_UTF8) < 0 {
            let e = HDF5Error(call: "H5Pset_create_intermediate_group", file: file.path, object: full, message: H5Library.errorStackMessage())
            H5Pclose(lcpl)
            throw e
        }
        return lcpl
    }

    // MARK: - Link walking

    /// Walks `relative` one component at a time from this group, checking each link is a hard link.
    /// Returns the absolute path and the object type, or nil when a link is missing and `throwIfMissing` is false.
    private func resolve(_ relative: String, throwIfMissing: Bool) throws -> (String, H5O_type_t)? {
        let components = relative.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        guard !components.isEmpty else {
            throw HDF5Error(kind: .notFound, call: "path check", file: file.path, object: path, message: "empty object path \"\(relative)\"")
        }
        var prefix = ""          // relative path walked so far
        var full = path
        for c in components {
            let candidate = prefix.isEmpty ? c : prefix + "/" + c
            full = h5Join(full, c)
            // H5Lexists checks only the last component when the earlier ones were verified as hard links.
            let exists = H5Lexists(id, candidate, H5Library.linkAccess)
            try H5Library.check(exists, "H5Lexists", file: file.path, object: full)
            if exists == 0 {
                if throwIfMissing { throw notFound(relative) }
                return nil
            }
            var info = H5L_info_t()
            try H5Library.check(H5Lget_info(id, candidate, &info, H5Library.linkAccess), "H5Lget_info", file: file.path, object: full)
            guard info.type == H5L_TYPE_HARD else {
                let what = info.type == H5L_TYPE_EXTERNAL ? "an external link (to another file)" : info.type == H5L_TYPE_SOFT ? "a soft link" : "a user-defined link"
                throw HDF5Error(kind: .linkRefused, call: "link check", file: file.path, object: full,
                                message: "\(what); nnkit follows only hard links")
            }
            prefix = candidate
        }
        var oinfo = H5O_info_t()
        try H5Library.check(H5Oget_info_by_name2(id, prefix, &oinfo, UInt32(H5O_INFO_BASIC), H5Library.linkAccess), "H5Oget_info_by_name2", file: file.path, object: full)
        return (full, oinfo.type)
    }

    private func notFound(_ relative: String) -> HDF5Error {
        HDF5Error(kind: .notFound, call: "H5Lexists", file: file.path, object: h5Join(path, relative), message: "no object at \(h5Join(path, relative))")
    }

    private func describe(_ t: H5O_type_t) -> String {
        switch t {
        case H5O_TYPE_GROUP: "group"
        case H5O_TYPE_DATASET: "dataset"
        case H5O_TYPE_NAMED_DATATYPE: "named datatype"
        default: "object of unknown type"
        }
    }
}
