import CHDF5
import Foundation

/// An open HDF5 file. Owns its `hid_t` and closes it in `deinit`.
///
/// Attributes and members of the root group are reached through ``root``
/// (h5py's `f.attrs[...]` are the root group's attributes).
///
/// ```swift
/// let file = try H5File(openingReadOnly: url)
/// let config = try file.root.stringAttribute("model_config")
/// let kernel = try file.root.dataset("model_weights/dense/dense/kernel:0").readFloats()
/// ```
public final class H5File {
    let id: hid_t
    /// The path the file was opened or created at (or the `displayPath` given); used in every error.
    public let path: String
    /// The caps applied to every read below this file.
    public let limits: H5Limits
    /// The file's size on disk when opened (0 for a file being created).
    public let sizeOnDisk: Int
    /// Bytes produced so far by all dataset reads of this file, held to
    /// ``H5Limits/totalReadAllowance`` + ``H5Limits/maxTotalExpansionRatio`` × ``sizeOnDisk``.
    public internal(set) var bytesRead = 0

    /// The total read budget of this file under `limits` (saturating).
    func totalReadBudget(_ limits: H5Limits) -> Int {
        let (scaled, o1) = sizeOnDisk.multipliedReportingOverflow(by: max(0, limits.maxTotalExpansionRatio))
        let (sum, o2) = scaled.addingReportingOverflow(max(0, limits.totalReadAllowance))
        return o1 || o2 ? Int.max : sum
    }

    static func size(of url: URL) -> Int {
        var st = stat()
        return stat(url.path, &st) == 0 ? Int(st.st_size) : 0
    }
    /// The root group `/` (opened on each access; cheap).
    public var root: H5Group {
        get throws { try H5Group(openRootOf: self) }
    }

    /// Loads libhdf5 if this process has not yet (it is opened on first use, see `nnkit_hdf5.h`), so
    /// that a command can refuse before doing any work when the library is missing.
    /// - Throws: ``HDF5Error`` of kind ``HDF5Error/Kind/libraryUnavailable`` naming `path` (the file
    ///   that needs the library) and every library name tried.
    public static func requireLibrary(for path: String) throws {
        try H5Library.load(file: path)
    }

    /// Opens an existing file read-only.
    /// - Parameters:
    ///   - url: a local file.
    ///   - limits: caps on sizes declared by the file, checked before allocating.
    ///   - displayPath: the name errors give the file (``path``); defaults to `url.path`. An
    ///     importer that unpacked the file from an archive passes `archive.keras (model.weights.h5)`
    ///     so that messages name the file the user gave, not a temporary copy.
    /// - Throws: ``HDF5Error`` with `call == "H5Fopen"` and the library's message when the file is
    ///   missing or not HDF5.
    public init(openingReadOnly url: URL, limits: H5Limits = .default, displayPath: String? = nil) throws {
        try H5Library.load(file: displayPath ?? url.path)
        path = displayPath ?? url.path
        self.limits = limits
        sizeOnDisk = Self.size(of: url)
        id = try H5Library.check(H5Fopen(url.path, nnk_H5F_ACC_RDONLY(), nnk_H5P_DEFAULT()), "H5Fopen", file: path, object: "/")
    }

    /// Opens an existing file for reading and writing (used to patch files, e.g. to build hostile test files).
    public init(openingForUpdate url: URL, limits: H5Limits = .default) throws {
        try H5Library.load(file: url.path)
        path = url.path
        self.limits = limits
        sizeOnDisk = Self.size(of: url)
        id = try H5Library.check(H5Fopen(url.path, nnk_H5F_ACC_RDWR(), nnk_H5P_DEFAULT()), "H5Fopen", file: url.path, object: "/")
    }

    /// Creates a file, replacing any existing file at `url`.
    ///
    /// The file uses the HDF5 1.8 object format as its lowest version (readable by libhdf5 ≥ 1.8 and
    /// every h5py release), which also lets attributes exceed 64 KiB.
    /// - Throws: ``HDF5Error`` with `call == "H5Fcreate"` when the file cannot be created.
    public init(creatingTruncating url: URL, limits: H5Limits = .default) throws {
        try H5Library.load(file: url.path)
        path = url.path
        self.limits = limits
        sizeOnDisk = 0
        let fapl = try H5Library.check(H5Pcreate(nnk_H5P_FILE_ACCESS()), "H5Pcreate", file: url.path, object: "/")
        defer { H5Pclose(fapl) }
        try H5Library.check(H5Pset_libver_bounds(fapl, nnk_H5F_LIBVER_V18(), nnk_H5F_LIBVER_V18()), "H5Pset_libver_bounds", file: url.path, object: "/")
        id = try H5Library.check(H5Fcreate(url.path, nnk_H5F_ACC_TRUNC(), nnk_H5P_DEFAULT(), fapl), "H5Fcreate", file: url.path, object: "/")
    }

    /// Writes buffered data to disk (`H5Fflush`, local scope).
    public func flush() throws {
        try H5Library.check(H5Fflush(id, H5F_SCOPE_LOCAL), "H5Fflush", file: path, object: "/")
    }

    deinit {
        // Objects opened from this file keep a strong reference to it, so none is open here.
        H5Fclose(id)
    }
}
