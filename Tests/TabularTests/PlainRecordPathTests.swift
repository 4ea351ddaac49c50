import CFastFloat
import Foundation
import Testing
import TestSupport
@testable import Tabular
#if canImport(Glibc)
import Glibc
#endif

/// The builds of the plain-record loop (``PlainRecordPath``: scalar, SSE2, AVX2, AVX-512), each forced
/// in turn over the same inputs: the same records, the same bytes consumed and the same floats, bit
/// for bit, and each float the one `strtof` gives. Runs every path this processor can run and checks
/// that the automatic choice is the best one its cpuid flags allow (on an x86-64 machine with
/// AVX-512 every path runs here).
///
/// Serialized: the path is chosen process-wide, and each test puts the automatic choice back. Other
/// suites running meanwhile use whichever path is set, which gives them the same results.
@Suite(.serialized) struct PlainRecordPathTests {
    /// The processor's flags as Linux reports them (`/proc/cpuinfo`), or nil elsewhere.
    static var cpuFlags: Set<String>? {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
              let colon = line.firstIndex(of: ":") else { return nil }
        return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
    }

    /// The best path is the one the kernel's view of the processor allows, not a fallback: AVX-512
    /// where `/proc/cpuinfo` lists avx512f and avx512bw (with AVX2, BMI1/2, POPCNT), AVX2 where it
    /// lists avx2, bmi1, bmi2 and popcnt, SSE2 on any other x86-64; and that path is the one in use.
    @Test func theBestPathIsTheOneTheProcessorAllows() throws {
        #if arch(x86_64)
        let flags = try #require(Self.cpuFlags)
        let avx2 = ["avx2", "bmi1", "bmi2", "popcnt"].allSatisfy(flags.contains)
        let expected: PlainRecordPath = avx2 && flags.contains("avx512f") && flags.contains("avx512bw") ? .avx512 : avx2 ? .avx2 : .sse2
        #else
        let expected = PlainRecordPath.scalar
        #endif
        #expect(PlainRecordPath.best == expected)
        PlainRecordPath.use(nil)
        if ProcessInfo.processInfo.environment["NNKIT_CSV_PATH"] == nil { #expect(PlainRecordPath.current == expected) }
        #expect(PlainRecordPath.use(.scalar) && PlainRecordPath.current == .scalar)
        PlainRecordPath.use(nil)
        #expect(PlainRecordPath.available.last == expected && PlainRecordPath.available.first == .scalar)
    }

    /// Held while a path is forced (tests of other suites force paths through ``parse(_:path:fields:slots:width:secondWidth:)`` too).
    static let forcing = NSLock()

    /// What `nnkit_parse_plain_numeric_records` gives over a buffer when, as the CSV reader does,
    /// each declined record is skipped (to its line feed) and parsing resumes after it: for each call,
    /// the records and bytes taken; and the bit patterns of all the records' values.
    struct Outcome: Equatable {
        var calls: [[Int]] = []
        var bits: [UInt32] = []
        var records: Int { calls.reduce(0) { $0 + $1[0] } }
    }

    /// Parses `bytes` with `path` forced: `fields` fields per record, field f to slot `slots[f]`
    /// (slots from `width` on go to a second matrix of `secondWidth` columns). Values of the records
    /// taken follow one another in `bits`, a call's first matrix before its second.
    static func parse(_ bytes: [UInt8], path: PlainRecordPath, fields: Int, slots: [Int32], width: Int, secondWidth: Int) -> Outcome {
        forcing.lock()  // no other test changes the path meanwhile
        defer { forcing.unlock() }
        precondition(PlainRecordPath.use(path))
        defer { PlainRecordPath.use(nil) }
        let lines = bytes.reduce(0) { $0 + ($1 == 10 ? 1 : 0) } + 1
        var outcome = Outcome()
        var start = 0
        while start < bytes.count {
            var out = [Float](repeating: .nan, count: lines * width), second = [Float](repeating: .nan, count: lines * max(secondWidth, 1))
            var consumed = 0
            let records = bytes.withUnsafeBufferPointer { b in
                slots.withUnsafeBufferPointer { s in
                    out.withUnsafeMutableBufferPointer { o in
                        second.withUnsafeMutableBufferPointer { t in
                            nnkit_parse_plain_numeric_records(b.baseAddress! + start, b.count - start, UInt8(ascii: ","), fields, s.baseAddress,
                                                              width, o.baseAddress, secondWidth, secondWidth > 0 ? t.baseAddress : nil,
                                                              lines, 1 << 24, &consumed)
                        }
                    }
                }
            }
            outcome.calls.append([records, consumed])
            outcome.bits += out[..<(records * width)].map(\.bitPattern) + second[..<(records * secondWidth)].map(\.bitPattern)
            // Past the declined record (the general tokenizer's business in the reader).
            start += consumed
            while start < bytes.count && bytes[start] != 10 { start += 1 }
            start += 1
        }
        return outcome
    }

    /// One short number as CSV files hold them: up to 15 bytes, an optional `-`, digits and a point
    /// anywhere (or none), now and then with leading zeros; all digits fixed at 0 or 9 at times.
    static func shortNumber(_ rng: inout SeededGenerator) -> String {
        var s = rng.next() % 3 == 0 ? "-" : ""
        let digits = 1 + Int(rng.next() % 14)
        let point = Int(rng.next() % UInt64(digits + 3)) - 1  // -1 and past the end: no point
        let fixed: UInt8? = rng.next() % 16 == 0 ? (rng.next() % 2 == 0 ? 0 : 9) : nil
        for d in 0..<digits {
            if d == point { s += "." }
            s += String(fixed ?? UInt8(rng.next() % 10))
        }
        if point == digits { s += "." }
        return s
    }

    /// Random records of short numbers (and, one field in 40, something a plain record cannot hold:
    /// an exponent, `+`, a space, a quote, letters, an empty field, a lone CR, a second point or
    /// sign, 16 bytes or more), each path forced in turn: every path parses the same records, stops
    /// at the same byte, and writes the same bits; the records they take hold the values `strtof`
    /// gives. Buffers end at random places, so numbers near a buffer's end (where the wider paths
    /// cannot read ahead and hand the field to the general parser) are among them.
    @Test(.timeLimit(.minutes(2))) func everyPathParsesRandomRecordsAlike() throws {
        var rng = SeededGenerator(seed: 2026_1201_10)
        let odd = ["1e5", "+1", " 2", "\"3\"", "abc", "", "4\r5", "1.2.3", "--1", "-", ".", "1234567890123456", "-123456789012345",
                   "12345678.12345678", "nan", "inf", "1,5"]
        var compared = 0, records = 0
        for round in 0..<400 {
            let fields = 1 + Int(rng.next() % 40)
            var text = ""
            for r in 0..<(10 + Int(rng.next() % 60)) {
                let row = (0..<fields).map { _ in rng.next() % 40 == 0 ? odd[Int(rng.next() % UInt64(odd.count))] : Self.shortNumber(&rng) }
                text += row.joined(separator: ",") + (r % 9 == 4 ? "\r\n" : "\n")
            }
            var bytes = Array(text.utf8)
            if round % 2 == 1 { bytes.removeLast(Int(rng.next() % UInt64(min(bytes.count, 200)))) }
            // Every field to its own slot, or a few skipped (slot -1) and the last ones to a second matrix.
            var slots = (0..<fields).map { Int32($0) }
            if round % 3 == 1 { for f in 0..<fields where rng.next() % 4 == 0 { slots[f] = -1 } }
            let secondWidth = round % 3 == 2 ? min(fields, 3) : 0
            let width = fields - secondWidth
            let reference = Self.parse(bytes, path: .scalar, fields: fields, slots: slots, width: width, secondWidth: secondWidth)
            for path in PlainRecordPath.available.dropFirst() {
                let outcome = Self.parse(bytes, path: path, fields: fields, slots: slots, width: width, secondWidth: secondWidth)
                #expect(outcome == reference, "round \(round), \(path.name): calls \(outcome.calls.prefix(8)); scalar \(reference.calls.prefix(8))")
                if outcome != reference { return }
                compared += 1
            }
            // The scalar path against strtof, field by field, over the records it took.
            var start = 0, taken = 0
            for call in reference.calls {
                let (n, consumed) = (call[0], call[1])
                let lines = bytes[start..<(start + consumed)].split(separator: 10)
                for (r, line) in lines.enumerated() {
                    let values = line.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false)
                    for (f, v) in values.enumerated() where slots[f] >= 0 {
                        let text = Array(v.last == 13 ? v.dropLast() : v)
                        let expected = try #require(strtofWhole(text), "\(String(decoding: text, as: UTF8.self))")
                        let slot = Int(slots[f])
                        let got = slot < width ? reference.bits[taken + r * width + slot] : reference.bits[taken + n * width + r * secondWidth + slot - width]
                        #expect(got == expected.bitPattern, "\(String(decoding: text, as: UTF8.self)): \(Float(bitPattern: got)) vs strtof \(expected)")
                    }
                }
                #expect(lines.count == n)
                taken += n * (width + secondWidth)
                start += consumed
                while start < bytes.count && bytes[start] != 10 { start += 1 }
                start += 1
            }
            records += reference.records
        }
        #expect(compared == 400 * (PlainRecordPath.available.count - 1))
        #expect(records > 10_000, "records taken: \(records)")
    }

    /// The paths compute w / 10^k (w the digits, k the fraction digits) as w · 10^-k and divide only
    /// when that product lies within 3 ulps of a float32 midpoint (where the product and the exact
    /// quotient could round apart). Decimals of 9 to 14 significant digits next to float32
    /// midpoints land there often: over many of them, each path must give `strtof`'s float, and
    /// enough of them must have taken the division for the test to mean something.
    @Test(.timeLimit(.minutes(2))) func numbersNextToFloatMidpointsAreCorrectlyRounded() throws {
        var rng = SeededGenerator(seed: 2026_1201_11)
        let inversePowers: [Double] = (0...22).map { Double("1e-\($0)")! }
        var text = "", expected: [Float] = [], nearMidpoint = 0
        while expected.count < 50_000 {
            // (About 3 in 10 land there, most of them exact midpoints with few digits.)
        // A float32 between 2^-20 and 2^40, the midpoint above it, written with 9-14 significant
            // digits in plain notation (at most 15 bytes), perhaps one unit of the last digit off.
            let f = Float(sign: .plus, exponent: Int(rng.next() % 60) - 20, significand: 1 + Float(rng.next() % (1 << 23)) / Float(1 << 23))
            let mid = (Double(f) + Double(f.nextUp)) / 2
            let significant = 9 + Int(rng.next() % 6)
            let magnitude = Int(floor(log10(mid)))
            let fractionDigits = max(1, significant - 1 - magnitude)
            var s = String(format: "%.*f", fractionDigits, mid)
            if rng.next() % 3 == 0 {
                var chars = Array(s.utf8)
                let last = chars[chars.count - 1]
                chars[chars.count - 1] = last < UInt8(ascii: "9") ? last + 1 : last - 1
                s = String(decoding: chars, as: UTF8.self)
            }
            guard s.utf8.count <= 15, let dot = s.firstIndex(of: ".") else { continue }
            let digits = s.replacingOccurrences(of: ".", with: "")
            let k = s.distance(from: dot, to: s.endIndex) - 1
            guard let w = UInt64(digits), w <= 1 << 53 else { continue }
            let low = (Double(w) * inversePowers[k]).bitPattern & 0x1FFF_FFFF
            if low >= 0x1000_0000 - 3 && low <= 0x1000_0000 + 3 { nearMidpoint += 1 }
            text += s + "," + (rng.next() % 2 == 0 ? "-" : "") + s + "\n"
            expected.append(strtofWhole(Array(s.utf8))!)
        }
        #expect(nearMidpoint >= 1_000, "numbers whose product lies within 3 ulps of a midpoint: \(nearMidpoint)")
        let bytes = Array(text.utf8)
        var outcomes: [Outcome] = []
        for path in PlainRecordPath.available {
            let o = Self.parse(bytes, path: path, fields: 2, slots: [0, 1], width: 2, secondWidth: 0)
            #expect(o.records == expected.count, "\(path.name)")
            let mismatches = zip(expected.indices, expected).filter { o.bits[2 * $0.0] != $0.1.bitPattern || o.bits[2 * $0.0 + 1] & 0x7FFF_FFFF != $0.1.bitPattern }
            #expect(mismatches.isEmpty, "\(path.name): \(mismatches.prefix(5).map { "\($0.1)" })")
            outcomes.append(o)
        }
        #expect(outcomes.allSatisfy { $0 == outcomes[0] })
    }
}
