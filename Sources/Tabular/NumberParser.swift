import CFastFloat

/// Strict decimal parsing of CSV values to float32.
///
/// Accepted: optional spaces around an optional sign, digits with an optional fraction (`1`, `1.`,
/// `.5`, `-0.25`) and an optional exponent (`1e-3`, `2E+5`). Rejected: empty text, hexadecimal,
/// thousands separators, decimal commas, and the words NaN/inf/infinity (reported as such).
/// Values round to the nearest float32 (correctly rounded, the same float as C's `strtof`, tested on
/// over a million generated strings); a value beyond float32's range is reported as infinite rather
/// than silently becoming ±inf. The grammar check is one pass over the bytes; the conversion is
/// fast_float (Eisel–Lemire with an exact fallback, `CFastFloat`), with no `String` per field.
public enum NumberParser {
    public enum Result: Equatable {
        case value(Float)
        case empty
        case notNumeric
        case notANumber
        case infinite
    }

    /// Parses the UTF-8 bytes of one field.
    public static func parse(_ field: UnsafeBufferPointer<UInt8>) -> Result {
        var lo = 0, hi = field.count
        while lo < hi, field[lo] == 0x20 || field[lo] == 0x09 { lo += 1 }
        while hi > lo, field[hi - 1] == 0x20 || field[hi - 1] == 0x09 { hi -= 1 }
        if lo == hi { return .empty }
        // Fast path: after an optional sign, a digit or a point, and fast_float takes every byte.
        // fast_float's grammar from there (digits, optional point and digits, at least one digit,
        // an exponent only with digits; no second sign, no inf/nan, which start with a letter) is
        // exactly the one below, so the answer is the same; anything else takes the checked path.
        let first = field[lo]
        let signed = first == UInt8(ascii: "+") || first == UInt8(ascii: "-")
        let lead = signed ? lo + 1 : lo
        if lead < hi, field[lead] &- 0x30 < 10 || field[lead] == UInt8(ascii: ".") {
            let start = first == UInt8(ascii: "+") ? lo + 1 : lo
            var v: Float = 0
            if nnkit_parse_float32(field.baseAddress! + start, hi - start, &v) == hi - start {
                return v.isFinite ? .value(v) : .infinite
            }
        }
        var i = lo
        if field[i] == UInt8(ascii: "+") || field[i] == UInt8(ascii: "-") { i += 1 }
        var digits = 0
        while i < hi, field[i] &- 0x30 < 10 { i += 1; digits += 1 }
        if i < hi, field[i] == UInt8(ascii: ".") {
            i += 1
            while i < hi, field[i] &- 0x30 < 10 { i += 1; digits += 1 }
        }
        if digits == 0 {
            return special(field, from: i, to: hi)
        }
        if i < hi, field[i] | 0x20 == UInt8(ascii: "e") {
            i += 1
            if i < hi, field[i] == UInt8(ascii: "+") || field[i] == UInt8(ascii: "-") { i += 1 }
            var expDigits = 0
            while i < hi, field[i] &- 0x30 < 10 { i += 1; expDigits += 1 }
            if expDigits == 0 { return .notNumeric }
        }
        if i != hi { return .notNumeric }
        // The grammar above is a subset of fast_float's (which has no leading `+`): skip a `+`.
        let start = field[lo] == UInt8(ascii: "+") ? lo + 1 : lo
        var v: Float = 0
        let used = nnkit_parse_float32(field.baseAddress! + start, hi - start, &v)
        guard used == hi - start else { return .notNumeric }
        return v.isFinite ? .value(v) : .infinite
    }

    /// Parses a string (convenience for tests and command-line values).
    public static func parse(_ text: String) -> Result {
        var copy = text
        return copy.withUTF8 { parse($0) }
    }

    /// `nan`, `inf`, `infinity` (any case, after an optional sign at `from`).
    private static func special(_ field: UnsafeBufferPointer<UInt8>, from: Int, to: Int) -> Result {
        var word: [UInt8] = []
        for j in from..<to { word.append(field[j] | 0x20) }
        switch String(decoding: word, as: UTF8.self) {
        case "nan": return .notANumber
        case "inf", "infinity": return .infinite
        default: return .notNumeric
        }
    }
}
