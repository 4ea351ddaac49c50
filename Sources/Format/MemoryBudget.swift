import Foundation

/// The most memory a tool may allocate for one thing whose size is computed from claims rather than
/// from bytes already read: a model's tensors (from a file's header), a batch (`input width × batch
/// size`), a new model's parameters (`nnrun init`), an archive's extracted members, an HDF5 file's
/// decompressed datasets. A claim above it is refused with a message naming the override, before
/// anything is allocated.
///
/// Default: half the machine's physical memory (`ProcessInfo.physicalMemory / 2`), at least 1 GiB.
/// Override: the environment variable `NNKIT_MEMORY_BUDGET`, a positive byte count with an optional
/// `K`, `M`, `G` or `T` suffix (powers of 1024), e.g. `NNKIT_MEMORY_BUDGET=64G`; a value that does
/// not parse (or overflows) is ignored.
public enum MemoryBudget {
    /// The environment variable that overrides the budget.
    public static let variable = "NNKIT_MEMORY_BUDGET"

    /// The budget in bytes (see the type's documentation).
    public static func bytes(environment: [String: String] = ProcessInfo.processInfo.environment) -> UInt64 {
        if let text = environment[variable], let v = parse(text) { return v }
        return max(1 << 30, ProcessInfo.processInfo.physicalMemory / 2)
    }

    /// Parses `123`, `512M`, `8G`; nil for anything else.
    static func parse(_ text: String) -> UInt64? {
        var digits = text.trimmingCharacters(in: .whitespaces).uppercased()
        var shift: UInt64 = 0
        if let last = digits.last, let s = ["K": 10, "M": 20, "G": 30, "T": 40][String(last)] {
            shift = UInt64(s)
            digits.removeLast()
        }
        guard let v = UInt64(digits), v > 0 else { return nil }
        let (r, o) = v.multipliedReportingOverflow(by: 1 << shift)
        return o ? nil : r
    }

    /// `count × elementSize` bytes, or nil when the product overflows.
    public static func product(_ factors: Int...) -> UInt64? {
        var total: UInt64 = 1
        for f in factors {
            guard f >= 0 else { return nil }
            let (r, o) = total.multipliedReportingOverflow(by: UInt64(f))
            if o { return nil }
            total = r
        }
        return total
    }

    /// Throws ``MemoryBudgetError`` when `bytes` (nil: overflowed) exceeds the budget.
    /// - Parameter what: names the allocation and where its size came from, e.g. `m.nnf: tensor data`.
    public static func check(_ bytes: UInt64?, for what: String) throws {
        let budget = Self.bytes()
        guard let bytes, bytes <= budget else { throw MemoryBudgetError(what: what, bytes: bytes, budget: budget) }
    }
}

/// A computed allocation larger than ``MemoryBudget``.
public struct MemoryBudgetError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What would be allocated (starts with the file or flag it comes from).
    public var what: String
    /// Its size in bytes; nil when the computation overflowed 64 bits.
    public var bytes: UInt64?
    /// The budget in force.
    public var budget: UInt64

    public var description: String {
        let size = bytes.map { Self.format($0) } ?? "more than 2^64 bytes"
        return "\(what) would need \(size), over the memory budget of \(Self.format(budget)); set \(MemoryBudget.variable) (e.g. 64G) to allow more"
    }

    static func format(_ b: UInt64) -> String {
        let units: [(UInt64, String)] = [(1 << 40, "TiB"), (1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")]
        for (u, name) in units where b >= u { return String(format: "%.1f %@", Double(b) / Double(u), name) }
        return "\(b) bytes"
    }
}
