/// A libhdf5 call that failed, with the file and object it was working on.
public struct HDF5Error: Error, CustomStringConvertible, Sendable {
    /// The libhdf5 function that returned an error, e.g. `H5Dread`.
    public var call: String
    /// The file being read or written.
    public var file: String
    /// The object path inside the file, e.g. `/model_weights/dense/dense/kernel:0`.
    public var object: String
    public var message: String

    public init(call: String, file: String, object: String, message: String = "") {
        self.call = call
        self.file = file
        self.object = object
        self.message = message
    }

    public var description: String {
        "\(file): \(object): \(call) failed" + (message.isEmpty ? "" : ": \(message)")
    }
}
