import CHDF5

/// An open dataset with its shape and element type. Owns its `hid_t` and closes it in `deinit`.
///
/// Opening checks the rank against ``H5Limits/maxRank`` and refuses data kept outside the file
/// (external storage, virtual datasets). Each read checks the element count and the byte count
/// in the memory type against the limits before allocating; libhdf5 converts the stored type to
/// the requested one (float16 → Float included, via its soft float conversion).
public final class H5Dataset: H5AttributeOwner {
    let id: hid_t
    public let file: H5File
    /// The absolute object path, e.g. `/model_weights/dense/dense/kernel:0`.
    public let path: String
    /// Dimensions, row-major; `[]` for a scalar dataset, `[0]` for a null dataspace.
    public let shape: [Int]
    /// The element type as stored.
    public let elementType: H5ElementType

    public var objectID: hid_t { id }

    /// Takes ownership of `id` (closed on every path, including throws).
    init(id: hid_t, file: H5File, path: String) throws {
        self.id = id
        self.file = file
        self.path = path
        do {
            let dcpl = try H5Library.check(H5Dget_create_plist(id), "H5Dget_create_plist", file: file.path, object: path)
            defer { H5Pclose(dcpl) }
            let external = try H5Library.check(H5Pget_external_count(dcpl), "H5Pget_external_count", file: file.path, object: path)
            guard external == 0 else {
                throw HDF5Error(kind: .externalStorageRefused, call: "storage check", file: file.path, object: path,
                                message: "dataset stores its data in \(external) external file(s); nnkit reads only data inside the file")
            }
            guard H5Pget_layout(dcpl) != H5D_VIRTUAL else {
                throw HDF5Error(kind: .externalStorageRefused, call: "storage check", file: file.path, object: path,
                                message: "virtual dataset (maps data from other datasets or files); nnkit reads only plain datasets")
            }
            let space = try H5Library.check(H5Dget_space(id), "H5Dget_space", file: file.path, object: path)
            defer { H5Sclose(space) }
            shape = try h5Extent(space: space, maxRank: file.limits.maxRank, file: file.path, object: path)
            let type = try H5Library.check(H5Dget_type(id), "H5Dget_type", file: file.path, object: path)
            defer { H5Tclose(type) }
            elementType = H5ElementType(type: type)
        } catch {
            H5Dclose(id)
            throw error
        }
    }

    deinit { H5Dclose(id) }

    /// Number of elements (product of ``shape``; 1 for a scalar).
    public var elementCount: Int { shape.reduce(1) { $0.multipliedReportingOverflow(by: $1).partialValue } }

    /// The values converted to Float (from any float or integer type).
    /// - Parameter limits: caps for this read; defaults to the file's.
    /// - Throws: `.wrongType` for non-numeric data, `.limitExceeded` before allocating too much.
    public func readFloats(limits: H5Limits? = nil) throws -> [Float] {
        try read(Float.self, memType: nnk_H5T_NATIVE_FLOAT(), limits: limits, integerOnly: false)
    }

    /// The values converted to Double (from any float or integer type).
    public func readDoubles(limits: H5Limits? = nil) throws -> [Double] {
        try read(Double.self, memType: nnk_H5T_NATIVE_DOUBLE(), limits: limits, integerOnly: false)
    }

    /// The values of an integer dataset as Int64 (float datasets are refused: no silent truncation).
    public func readInt64s(limits: H5Limits? = nil) throws -> [Int64] {
        try read(Int64.self, memType: nnk_H5T_NATIVE_INT64(), limits: limits, integerOnly: true)
    }

    /// The raw 16-bit patterns of a 16-bit dataset (uint16/int16 or a 16-bit float type), unconverted.
    /// This is how float16/bfloat16 tensors are read bit-exactly.
    /// - Throws: `.wrongType` when the stored elements are not 16 bits wide.
    public func readUInt16Bits(limits: H5Limits? = nil) throws -> [UInt16] {
        switch elementType {
        case .integer(16, _), .float(16, _): break
        default:
            throw HDF5Error(kind: .wrongType, call: "type check", file: file.path, object: path,
                            message: "expected 16-bit elements, found \(elementType)")
        }
        // Read into the file's own type in host byte order, so no value conversion happens
        // (H5Tget_native_type would map a 16-bit float to native float and convert).
        let type = try H5Library.check(H5Dget_type(id), "H5Dget_type", file: file.path, object: path)
        defer { H5Tclose(type) }
        let native = try H5Library.check(H5Tcopy(type), "H5Tcopy", file: file.path, object: path)
        defer { H5Tclose(native) }
        try H5Library.check(H5Tset_order(native, H5Tget_order(nnk_H5T_NATIVE_UINT16())), "H5Tset_order", file: file.path, object: path)
        return try read(UInt16.self, memType: native, limits: limits, integerOnly: false)
    }

    private func read<T>(_: T.Type, memType: hid_t, limits: H5Limits?, integerOnly: Bool) throws -> [T] {
        let limits = limits ?? file.limits
        switch elementType {
        case .integer: break
        case .float where !integerOnly: break
        default:
            throw HDF5Error(kind: .wrongType, call: "type check", file: file.path, object: path,
                            message: "expected \(integerOnly ? "integer" : "numeric") elements, found \(elementType)")
        }
        guard shape.count <= limits.maxRank else {
            throw HDF5Error(kind: .limitExceeded, call: "rank check", file: file.path, object: path,
                            message: "rank \(shape.count) exceeds the limit of \(limits.maxRank)")
        }
        let n = try h5CheckedCount(shape, elementSize: MemoryLayout<T>.stride, maxElements: limits.maxElements,
                                   maxBytes: limits.maxBytes, file: file.path, object: path)
        if n == 0 { return [] }
        try checkStorage(bytes: n * MemoryLayout<T>.stride, limits: limits)
        try chargeTotal(bytes: n * MemoryLayout<T>.stride, limits: limits)
        return try [T](unsafeUninitializedCapacity: n) { buf, count in
            try H5Library.check(H5Dread(id, memType, nnk_H5S_ALL(), nnk_H5S_ALL(), nnk_H5P_DEFAULT(), buf.baseAddress),
                                "H5Dread", file: file.path, object: path)
            count = n
        }
    }

    /// Adds a read's bytes to the file's running total and refuses, before allocating, the read
    /// that would take it past the file's total budget (``H5File/totalReadBudget(_:)``): each
    /// dataset under the per-dataset ratio, many of them together can still ask for gigabytes.
    /// Files being written (``H5File/sizeOnDisk`` 0) are not charged.
    private func chargeTotal(bytes: Int, limits: H5Limits) throws {
        guard file.sizeOnDisk > 0 else { return }
        let budget = file.totalReadBudget(limits)
        let (total, overflow) = file.bytesRead.addingReportingOverflow(bytes)
        guard !overflow, total <= budget else {
            throw HDF5Error(kind: .limitExceeded, call: "total read check", file: file.path, object: path,
                            message: "reading this dataset (\(bytes) bytes in memory) would bring the file's datasets to \(total) bytes, above the budget of \(budget) bytes for a \(file.sizeOnDisk)-byte file (\(limits.totalReadAllowance >> 20) MiB + \(limits.maxTotalExpansionRatio)× its size; a compression bomb?)")
        }
        file.bytesRead = total
    }

    /// Refuses, before allocating, a dataset that needs an HDF5 filter this libhdf5 lacks (h5py's
    /// lzf, blosc, …: libhdf5 would otherwise fail deep inside `H5Dread` with a plugin-path
    /// message), and one whose declared size is out of proportion to the bytes it stores in the
    /// file: a chunked or unallocated dataset can declare a [30000, 30000] shape in a few KiB
    /// (unwritten chunks read as the fill value), which would make nnkit allocate 3.6 GB for a
    /// file of almost nothing. Below 1 MiB in memory nothing is checked.
    /// - Parameter bytes: the bytes the read will allocate (elements × memory element size).
    /// - Throws: `.filterUnavailable`; `.limitExceeded` when `bytes` exceeds
    ///   ``H5Limits/maxExpansionRatio`` × the stored bytes.
    private func checkStorage(bytes: Int, limits: H5Limits) throws {
        let dcpl = try H5Library.check(H5Dget_create_plist(id), "H5Dget_create_plist", file: file.path, object: path)
        defer { H5Pclose(dcpl) }
        let filters = try H5Library.check(H5Pget_nfilters(dcpl), "H5Pget_nfilters", file: file.path, object: path)
        for i in 0..<UInt32(max(0, filters)) {
            var flags: UInt32 = 0
            var valueCount = 0
            var config: UInt32 = 0
            var name = [CChar](repeating: 0, count: 80)
            let filter = H5Pget_filter2(dcpl, i, &flags, &valueCount, nil, name.count, &name, &config)
            guard filter >= 0 else {
                throw HDF5Error(call: "H5Pget_filter2", file: file.path, object: path, message: "cannot read filter \(i) of the pipeline")
            }
            guard H5Zfilter_avail(filter) > 0 else {
                let label = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                throw HDF5Error(kind: .filterUnavailable, call: "filter check", file: file.path, object: path,
                                message: "dataset is stored through HDF5 filter \(filter)\(label.isEmpty ? "" : " (\(label))"), which this libhdf5 does not have; expected no filter or gzip/shuffle/fletcher32")
            }
        }
        guard bytes > 1 << 20 else { return }
        let stored = H5Dget_storage_size(id)
        let (bound, overflow) = Int(clamping: stored).multipliedReportingOverflow(by: max(1, limits.maxExpansionRatio))
        guard overflow || bytes <= bound else {
            throw HDF5Error(kind: .limitExceeded, call: "storage check", file: file.path, object: path,
                            message: "dataset declares shape \(shape) (\(bytes) bytes in memory) but stores only \(stored) bytes in the file, a ratio above \(limits.maxExpansionRatio) (unwritten chunks or a compression bomb?)")
        }
    }
}
