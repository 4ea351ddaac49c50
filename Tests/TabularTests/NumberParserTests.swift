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
    /// on 1,200,000 generated decimal strings: long mantissas (up to 40 digits), exponents from
    /// -70 to +60 (float32 overflow beyond ~3.4e38 is reported as infinite, as strtof returns
    /// ±inf), subnormals and the underflow edge near 1e-45, the overflow edge, decimal neighbours
    /// of float32 midpoints (the hard cases of correct rounding), signs, leading zeros, `1.`, `.5`
    /// and `-0` forms.
    @Test(.timeLimit(.minutes(2))) func everyValueIsTheFloatStrtofGives() {
        var rng = SeededGenerator(seed: 2026_11_30)
        var text = [UInt8]()
        text.reserveCapacity(128)
        func digit() -> UInt8 { UInt8(ascii: "0") + UInt8(rng.next() % 10) }
        func append(_ s: String) { text.append(contentsOf: Array(s.utf8)) }
        var checked = 0, mismatches: [String] = []
        for i in 0..<1_200_000 {
            text.removeAll(keepingCapacity: true)
            switch i % 4 {
            case 0, 1:
                // Random digits: sign, leading zeros, a point anywhere (or none), an exponent.
                switch rng.next() % 3 { case 0: text.append(UInt8(ascii: "-")); case 1: text.append(UInt8(ascii: "+")); default: break }
                for _ in 0..<Int(rng.next() % 3) { text.append(UInt8(ascii: "0")) }
                let count = 1 + Int(rng.next() % (i % 4 == 0 ? 12 : 40))
                let point = Int(rng.next() % UInt64(count + 2)) - 1  // -1: no point
                for d in 0..<count {
                    if d == point { text.append(UInt8(ascii: ".")) }
                    text.append(digit())
                }
                if point == count { text.append(UInt8(ascii: ".")) }
                if rng.next() % 4 != 0 {
                    text.append(rng.next() % 2 == 0 ? UInt8(ascii: "e") : UInt8(ascii: "E"))
                    let e = Int(rng.next() % 131) - 70
                    if e < 0 { text.append(UInt8(ascii: "-")) } else if rng.next() % 2 == 0 { text.append(UInt8(ascii: "+")) }
                    append(String(abs(e)))
                }
            case 2:
                // Neighbours of float32 midpoints: the exact midpoint of two adjacent floats (an
                // exact double), printed with 17 significant digits, and one ulp of the last digit
                // either way; any magnitude, subnormals included.
                let bits = UInt32(truncatingIfNeeded: rng.next()) & 0x7F7F_FFFF
                let f = Float(bitPattern: bits)
                let mid = (Double(f) + Double(f.nextUp)) / 2
                var digits = String(format: "%.16e", mid)
                if rng.next() % 3 == 0 {
                    // Nudge the last mantissa digit (before the exponent) up or down.
                    var chars = Array(digits.utf8)
                    let ePos = chars.firstIndex(of: UInt8(ascii: "e"))!
                    let last = ePos - 1
                    if rng.next() % 2 == 0, chars[last] < UInt8(ascii: "9") { chars[last] += 1 } else if chars[last] > UInt8(ascii: "0") { chars[last] -= 1 }
                    digits = String(decoding: chars, as: UTF8.self)
                }
                if rng.next() % 2 == 0 { text.append(UInt8(ascii: "-")) }
                append(digits)
            default:
                // Edges: subnormals and the underflow threshold, the overflow threshold, zeros.
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
            let result = text.withUnsafeBufferPointer { NumberParser.parse($0) }
            text.append(0)
            var endPointer: UnsafeMutablePointer<CChar>?
            let expected = text.withUnsafeBufferPointer { buf in
                buf.withMemoryRebound(to: CChar.self) { c -> (Float, Int) in
                    let v = strtof(c.baseAddress!, &endPointer)
                    return (v, endPointer! - UnsafeMutablePointer(mutating: c.baseAddress!))
                }
            }
            text.removeLast()
            let shown = String(decoding: text, as: UTF8.self)
            guard expected.1 == text.count else {
                // strtof did not take the whole text: the generator made something not a number.
                mismatches.append("\(shown): not a whole number for strtof")
                continue
            }
            let agrees: Bool
            switch result {
            case .value(let v): agrees = expected.0.isFinite && v.bitPattern == expected.0.bitPattern
            case .infinite: agrees = expected.0.isInfinite
            default: agrees = false
            }
            if !agrees, mismatches.count < 10 { mismatches.append("\(shown): \(result) vs strtof \(expected.0)") }
            checked += 1
        }
        #expect(checked == 1_200_000)
        #expect(mismatches.isEmpty, "\(mismatches)")
    }
}
