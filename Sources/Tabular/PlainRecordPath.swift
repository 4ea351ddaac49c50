import CFastFloat

/// Which build of the CSV reader's plain-record loop (`nnkit_parse_plain_numeric_records`,
/// `CFastFloat`) parses numbers: the instruction set it was compiled for. Every path accepts the
/// same records and gives the same floats, bit for bit (`PlainRecordPathTests` runs each over the
/// same inputs); they differ only in speed. The best path the processor runs (cpuid, and XCR0 for
/// the operating system's support of the wider registers) is chosen once per process; the
/// environment variable `NNKIT_CSV_PATH` (`scalar`, `sse2`, `avx2`, `avx512`) can choose a lower one,
/// for tests and comparisons (a path above the best is lowered to the best).
public enum PlainRecordPath: Int32, CaseIterable, Sendable {
    /// Every field through the general number parser (processors other than x86-64).
    case scalar = 0
    /// 16-byte comparisons and digits by eight in a word (every x86-64 processor).
    case sse2 = 1
    /// One byte shuffle and multiply-adds for a field's digits (AVX2 with BMI1, BMI2 and POPCNT).
    case avx2 = 2
    /// As AVX2, with the digits and points of 64 bytes classified at once (AVX-512 F and BW).
    case avx512 = 3

    /// The name `NNKIT_CSV_PATH` takes and benchmarks print.
    public var name: String { ["scalar", "sse2", "avx2", "avx512"][Int(rawValue)] }

    /// The path in use.
    public static var current: PlainRecordPath { PlainRecordPath(rawValue: nnkit_plain_records_level()) ?? .scalar }

    /// The best path this processor runs.
    public static var best: PlainRecordPath { PlainRecordPath(rawValue: nnkit_plain_records_best_level()) ?? .scalar }

    /// The paths this processor runs, lowest first.
    public static var available: [PlainRecordPath] { allCases.filter { $0.rawValue <= best.rawValue } }

    /// Test hook: uses `path` from now on, process-wide (nil: the choice made at start); false,
    /// changing nothing, when the processor cannot run it.
    @discardableResult
    static func use(_ path: PlainRecordPath?) -> Bool { nnkit_plain_records_set_level(path?.rawValue ?? -1) != 0 }
}
