import CHDF5

/// Process-wide libhdf5 set-up and the one place where C error codes become Swift throws.
///
/// libhdf5 1.10.8 on the build machine is built thread-safe (`H5_HAVE_THREADSAFE`); its error
/// stack is per thread, so reading it right after a failing call on the same thread is sound.
enum H5Library {
    /// Opens the library once per process (after ``load(file:)`` succeeded).
    private static let initialized: Void = {
        _ = H5open()
    }()

    /// Loads libhdf5 (dlopen, once per process: see `nnkit_hdf5.h`), opens it and silences its error
    /// printing on the calling thread. Every way to an HDF5 object starts at an ``H5File``
    /// initializer, which calls this first.
    /// - Throws: ``HDF5Error/Kind/libraryUnavailable`` naming `file` when the library cannot be
    ///   loaded (not installed, or not the version nnkit was built with), with each name tried.
    static func load(file: String) throws {
        var reason = [CChar](repeating: 0, count: 1024)
        guard nnk_hdf5_load(&reason, reason.count) == 1 else {
            let why = String(decoding: reason.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw HDF5Error(kind: .libraryUnavailable, call: "dlopen", file: file, object: "/",
                            message: "libhdf5 is needed for this file but could not be loaded (\(why)); install it (Debian: apt-get install libhdf5-dev)")
        }
        ensureInitialized()
    }

    /// Access property lists whose external-link callback refuses every traversal, so that even a
    /// path libhdf5 resolves internally never leaves the file (created once; `H5P_DEFAULT` if that failed).
    private static func refusingExternalLinks(_ cls: hid_t) -> hid_t {
        ensureInitialized()
        let plist = H5Pcreate(cls)
        guard plist >= 0 else { return nnk_H5P_DEFAULT() }
        guard H5Pset_elink_cb(plist, { _, _, _, _, _, _, _ in -1 }, nil) >= 0 else {
            H5Pclose(plist)
            return nnk_H5P_DEFAULT()
        }
        return plist
    }

    /// Opens the already loaded library and silences its automatic error printing on the calling thread. The
    /// thread-safe build keeps that setting per thread, so a process-wide once is not enough (tests
    /// running on a second thread printed libhdf5's error stack); setting it is a cheap assignment.
    static func ensureInitialized() {
        _ = initialized
        nnk_silence_errors()
    }

    /// Link access list for `H5Lexists`, `H5Lget_info`, `H5Oget_info_by_name2`.
    static let linkAccess: hid_t = refusingExternalLinks(nnk_H5P_LINK_ACCESS())
    /// Group access list for `H5Gopen2`.
    static let groupAccess: hid_t = refusingExternalLinks(nnk_H5P_GROUP_ACCESS())
    /// Dataset access list for `H5Dopen2`.
    static let datasetAccess: hid_t = refusingExternalLinks(nnk_H5P_DATASET_ACCESS())

    /// The innermost message of the current thread's error stack, with the function that raised it.
    static func errorStackMessage() -> String {
        final class Box { var entries: [String] = [] }
        let box = Box()
        let raw = Unmanaged.passUnretained(box).toOpaque()
        _ = H5Ewalk2(nnk_H5E_DEFAULT(), H5E_WALK_DOWNWARD, { _, err, data in
            guard let err, let data else { return 0 }
            let box = Unmanaged<Box>.fromOpaque(data).takeUnretainedValue()
            let desc = err.pointee.desc.map { String(cString: $0) } ?? ""
            let fn = err.pointee.func_name.map { String(cString: $0) } ?? ""
            if box.entries.count < 64 { box.entries.append(fn.isEmpty ? desc : "\(desc) (\(fn))") }
            return 0
        }, raw)
        withExtendedLifetime(box) {}
        guard let innermost = box.entries.last else { return "" }
        if box.entries.count > 1, let top = box.entries.first, top != innermost {
            return "\(top); innermost: \(innermost)"
        }
        return innermost
    }

    /// Throws ``HDF5Error/Kind/callFailed`` when `rc` is negative.
    @discardableResult
    static func check<T: BinaryInteger>(_ rc: T, _ call: String, file: String, object: String) throws -> T {
        if rc < 0 {
            throw HDF5Error(kind: .callFailed, call: call, file: file, object: object, message: errorStackMessage())
        }
        return rc
    }
}

/// Joins an object path and a child name: `"/" + "a" == "/a"`, `"/a" + "b" == "/a/b"`.
func h5Join(_ parent: String, _ child: String) -> String {
    parent.hasSuffix("/") ? parent + child : parent + "/" + child
}
