import Foundation
import Testing
import TestSupport
@testable import Tabular
#if canImport(Glibc)
import Glibc
#endif

@Suite struct NumberParserTests {
    @Test(arguments: [
        ("0", Float(0)), ("-0", Float(-0.0)), ("1", 1), ("+2.5", 2.5), ("-.5", -0.5), ("3.", 3), ("1e3", 1000),
        ("2.5E-1", 0.25), ("  7  ", 7), ("0.1", Float(0.1)), ("16777217", 16777216), ("1e-45", Float(bitPattern: 1)),
        ("3.4028235e38", Float.greatestFiniteMagnitude),
    ] as [(String, Float)])
    func parsesDecimalNumbersCorrectlyRounded(text: String, expected: Float) {
        #expect(NumberParser.parse(text) == .value(expected))
    }

    @Test func negativeZeroKeepsItsSign() {
        guard case .value(let v) = NumberParser.parse("-0") else { Issue.record("not a value"); return }
        #expect(v.sign == .minus)
    }

    @Test(arguments: ["", "   "])
    func emptyTextIsEmpty(text: String) {
        #expect(NumberParser.parse(text) == .empty)
    }

    @Test(arguments: ["abc", "1,5", "0x10", "1e", "1e+", "--1", "1.2.3", "1 2", ".", "-", "1_000", "½"])
    func rejectsNonDecimalText(text: String) {
        #expect(NumberParser.parse(text) == .notNumeric)
    }

    @Test(arguments: ["nan", "NaN", "-nan", "NAN"])
    func reportsNaN(text: String) {
        #expect(NumberParser.parse(text) == .notANumber)
    }

    @Test(arguments: ["inf", "-Inf", "infinity", "+INFINITY", "1e39", "-4e38"])
    func reportsInfiniteAndOutOfRangeValues(text: String) {
        #expect(NumberParser.parse(text) == .infinite)
    }

    /// Each parsed value is the float C's `strtof` gives (glibc's is correctly rounded), bit for bit,
    /// on 1,200,000 generated decimal strings (``generatedDecimalStrings(count:seed:)``): long
    /// mantissas, large and tiny exponents, subnormals, signs, leading zeros, float32 midpoints.
    @Test(.timeLimit(.minutes(2))) func everyValueIsTheFloatStrtofGives() {
        var checked = 0, mismatches: [String] = []
        generatedDecimalStrings(count: 1_200_000, seed: 2026_11_30) { text in
            let result = text.withUnsafeBufferPointer { NumberParser.parse($0) }
            guard let expected = strtofWhole(text) else {
                mismatches.append("\(String(decoding: text, as: UTF8.self)): not a whole number for strtof")
                return
            }
            let agrees: Bool
            switch result {
            case .value(let v): agrees = expected.isFinite && v.bitPattern == expected.bitPattern
            case .infinite: agrees = expected.isInfinite
            default: agrees = false
            }
            if !agrees, mismatches.count < 10 { mismatches.append("\(String(decoding: text, as: UTF8.self)): \(result) vs strtof \(expected)") }
            checked += 1
        }
        #expect(checked == 1_200_000)
        #expect(mismatches.isEmpty, "\(mismatches)")
    }
}

/// C's `strtof` of `text` (glibc's is correctly rounded), or nil when it does not take every byte.
func strtofWhole(_ text: [UInt8]) -> Float? {
    var z = text
    z.append(0)
    return z.withUnsafeBufferPointer { buf in
        buf.withMemoryRebound(to: CChar.self) { c -> Float? in
            var endPointer: UnsafeMutablePointer<CChar>?
            let v = strtof(c.baseAddress!, &endPointer)
            return endPointer! - UnsafeMutablePointer(mutating: c.baseAddress!) == text.count ? v : nil
        }
    }
}

/// Calls `body` with `count` generated decimal strings (the bytes are valid during the call), the
/// same for the same seed: a fifth each of
/// - random digits (up to 12 or up to 40), with a sign or none, leading zeros, a point anywhere
///   or none, and an exponent from -70 to +60 three times in four (float32 overflow beyond
///   ~3.4e38, subnormals below ~1.2e-38);
/// - neighbours of float32 midpoints, the hard cases of correct rounding: the exact midpoint of two
///   adjacent floats of any magnitude (an exact double) printed with 17 significant digits, and one
///   unit of the last digit either way;
/// - float32 midpoints written exactly in few digits: between 2^14 and 2^53 the midpoint of two
///   adjacent floats has at most 16 significant digits (`16777217`, `1048576.0625`), printed as it
///   is, or with the point moved left and a compensating exponent (`1677721.7e1`), or one unit of
///   the last digit off; the cases where a double computed from a short decimal lands exactly
///   halfway between two floats;
/// - edges: subnormals and the underflow threshold near 1e-45, the overflow threshold, zeros
///   (`-0`, `-0.`, `+0.e3`, `-.0`, `000.000`).
func generatedDecimalStrings(count: Int, seed: UInt64, _ body: ([UInt8]) -> Void) {
    var rng = SeededGenerator(seed: seed)
    var text = [UInt8]()
    text.reserveCapacity(128)
    func digit() -> UInt8 { UInt8(ascii: "0") + UInt8(rng.next() % 10) }
    func append(_ s: String) { text.append(contentsOf: Array(s.utf8)) }
    for i in 0..<count {
        text.removeAll(keepingCapacity: true)
        switch i % 5 {
        case 0, 1:
            switch rng.next() % 3 { case 0: text.append(UInt8(ascii: "-")); case 1: text.append(UInt8(ascii: "+")); default: break }
            for _ in 0..<Int(rng.next() % 3) { text.append(UInt8(ascii: "0")) }
            let digits = 1 + Int(rng.next() % (i % 5 == 0 ? 12 : 40))
            let point = Int(rng.next() % UInt64(digits + 2)) - 1  // -1: no point
            for d in 0..<digits {
                if d == point { text.append(UInt8(ascii: ".")) }
                text.append(digit())
            }
            if point == digits { text.append(UInt8(ascii: ".")) }
            if rng.next() % 4 != 0 {
                text.append(rng.next() % 2 == 0 ? UInt8(ascii: "e") : UInt8(ascii: "E"))
                let e = Int(rng.next() % 131) - 70
                if e < 0 { text.append(UInt8(ascii: "-")) } else if rng.next() % 2 == 0 { text.append(UInt8(ascii: "+")) }
                append(String(abs(e)))
            }
        case 2:
            let bits = UInt32(truncatingIfNeeded: rng.next()) & 0x7F7F_FFFF
            let f = Float(bitPattern: bits)
            let mid = (Double(f) + Double(f.nextUp)) / 2
            var digits = String(format: "%.16e", mid)
            if rng.next() % 3 == 0 {
                var chars = Array(digits.utf8)
                let last = chars.firstIndex(of: UInt8(ascii: "e"))! - 1
                if rng.next() % 2 == 0, chars[last] < UInt8(ascii: "9") { chars[last] += 1 } else if chars[last] > UInt8(ascii: "0") { chars[last] -= 1 }
                digits = String(decoding: chars, as: UTF8.self)
            }
            if rng.next() % 2 == 0 { text.append(UInt8(ascii: "-")) }
            append(digits)
        case 3:
            // A float in [2^14, 2^53) and the exact decimal halfway to the next one (an integer
            // from 2^24, else 24 - exponent fraction digits), perhaps one unit of its last digit off.
            let exponent = 14 + Int(rng.next() % 39)
            let f = Float(sign: .plus, exponent: exponent, significand: 1 + Float(rng.next() % (1 << 23)) / Float(1 << 23))
            let mid = (Double(f) + Double(f.nextUp)) / 2
            var digits = Array(String(format: "%.*f", max(0, 24 - exponent), mid).utf8)
            let last = digits.count - 1
            switch rng.next() % 4 {
            case 0 where digits[last] < UInt8(ascii: "9"): digits[last] += 1
            case 1 where digits[last] > UInt8(ascii: "0"): digits[last] -= 1
            default: break
            }
            if rng.next() % 2 == 0, let point = digits.firstIndex(of: UInt8(ascii: ".")) ?? Optional(digits.count), point > 1 {
                // Move the point k places left and say so in the exponent.
                let k = 1 + Int(rng.next() % UInt64(point - 1))
                digits.removeAll { $0 == UInt8(ascii: ".") }
                digits.insert(UInt8(ascii: "."), at: point - k)
                digits += Array("e\(k)".utf8)
            }
            if rng.next() % 2 == 0 { text.append(UInt8(ascii: "-")) }
            text += digits
        default:
            switch rng.next() % 4 {
            case 0:
                text.append(digit())
                text.append(UInt8(ascii: "."))
                for _ in 0..<Int(1 + rng.next() % 20) { text.append(digit()) }
                append("e-\(38 + rng.next() % 9)")
            case 1:
                append("3.40282")
                for _ in 0..<Int(rng.next() % 20) { text.append(digit()) }
                append("e38")
            case 2:
                append("0.00000000000000000000000000000000000000000000")
                for _ in 0..<Int(1 + rng.next() % 10) { text.append(digit()) }
            default:
                append(["-0", "-0.", "-0.0e-5", "0", "+0.e3", "-.0", "000.000"][Int(rng.next() % 7)])
            }
        }
        body(text)
    }
}
