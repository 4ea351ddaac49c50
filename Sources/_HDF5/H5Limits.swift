/// Upper bounds checked against the sizes a file declares, before anything is allocated.
///
/// Every dataset read and attribute read compares the declared rank, element count and byte
/// count (in the memory type being read into) with these caps and throws
/// ``HDF5Error/Kind/limitExceeded`` instead of allocating. Callers that know tighter bounds
/// (a Keras importer knows each kernel's shape) pass tighter limits.
public struct H5Limits: Sendable, Equatable {
    /// Maximum rank of a dataset or attribute. Default 8.
    public var maxRank: Int
    /// Maximum number of elements of one dataset. Default 2^31.
    public var maxElements: Int
    /// Maximum bytes of one dataset in memory (elements × size of the memory type). Default 4 GiB.
    public var maxBytes: Int
    /// Maximum bytes of one string attribute (all its strings together). Default 64 MiB.
    public var maxStringBytes: Int
    /// Maximum number of elements of one attribute (strings or numbers). Default 2^20.
    public var maxAttributeElements: Int
    /// Maximum number of links listed in one group. Default 2^20.
    public var maxMembers: Int
    /// Maximum ratio of a dataset's bytes in memory to the bytes it stores in the file, checked
    /// for reads above 1 MiB. Default 1000 (the same bound `KerasArchive` puts on ZIP entries);
    /// plain datasets have a ratio of at most 2 (float16 read as Float), gzip rarely beats 1000
    /// on weights. Stops a file of a few KiB from declaring a sparse [30000, 30000] dataset
    /// that reads as 3.6 GB of fill values.
    public var maxExpansionRatio: Int
    /// The total bytes all dataset reads of one open file may produce together (in memory):
    /// ``totalReadAllowance`` + ``maxTotalExpansionRatio`` × the file's size on disk. Defaults
    /// 256 MiB and 64: an uncompressed file reads at most twice its size (float16 as Float), real
    /// gzip-compressed weights about 1.1×; a 1.3 MB file of well-compressing datasets, each under
    /// the per-dataset ratio, can no longer make nnkit allocate gigabytes in total.
    public var maxTotalExpansionRatio: Int
    /// See ``maxTotalExpansionRatio``. Default 256 MiB.
    public var totalReadAllowance: Int

    public init(maxRank: Int = 8, maxElements: Int = 1 << 31, maxBytes: Int = 4 << 30,
                maxStringBytes: Int = 64 << 20, maxAttributeElements: Int = 1 << 20, maxMembers: Int = 1 << 20,
                maxExpansionRatio: Int = 1000, maxTotalExpansionRatio: Int = 64, totalReadAllowance: Int = 256 << 20) {
        self.maxTotalExpansionRatio = maxTotalExpansionRatio
        self.totalReadAllowance = totalReadAllowance
        self.maxRank = maxRank
        self.maxElements = maxElements
        self.maxBytes = maxBytes
        self.maxStringBytes = maxStringBytes
        self.maxAttributeElements = maxAttributeElements
        self.maxMembers = maxMembers
        self.maxExpansionRatio = maxExpansionRatio
    }

    /// The defaults listed on each property.
    public static let `default` = H5Limits()
}
