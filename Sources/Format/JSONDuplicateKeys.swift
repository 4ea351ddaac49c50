/// Finds the first object in a JSON text that has the same key twice.
///
/// JSON parsers disagree about duplicate keys: Python's `json` (and so Keras and
/// `fixtures/golden/verify_nnf.py`) keeps the last value, Foundation's decoders the first. A file
/// that two readers see differently is refused by every nnkit JSON reader (`.nnf` headers with their
/// metadata, the HDF5 container's JSON attributes, Keras configurations), with the key and its path.
///
/// Keys are compared as decoded code points (escapes resolved, `"a"` equals `"\u0061"`), as Python
/// compares them; no Unicode normalisation. The scan uses an explicit stack (no recursion, so any
/// nesting depth is safe) and is linear in the text; it does not validate syntax (run it on text a
/// parser accepted) and never traps on malformed input.
public enum JSONDuplicateKeys {
    /// A repeated key: the key and the path of the object holding it (`$`, `$.model.layers[2].config`).
    public struct Duplicate: Equatable, Sendable, CustomStringConvertible {
        public var key: String
        public var path: String
        public init(key: String, path: String) {
            self.key = key
            self.path = path
        }
        public var description: String { "key \"\(TerminalText.escaped(key))\" appears twice in the object at \(path)" }
    }

    private enum Frame {
        case object(keys: Set<[UInt8]>, current: [UInt8]?, expectingKey: Bool)
        case array(index: Int)
    }

    /// The first duplicate key in `bytes` (UTF-8 JSON), or nil.
    public static func first(in bytes: UnsafeRawBufferPointer) -> Duplicate? {
        if case .duplicate(let d)? = walk(bytes, numberLiteral: nil) { return d }
        return nil
    }

    /// What ``walk(_:numberLiteral:)`` stopped at.
    enum Found {
        case duplicate(Duplicate)
        /// A number literal `numberLiteral` accepted, and the path of the value (`$.training.epochs`).
        case number(path: String, literal: String)
    }

    /// The one scan over JSON text: tracks the path, stops at the first duplicate key, or, when
    /// `numberLiteral` is given, at the first number literal it accepts (duplicates are then passed over).
    static func walk(_ bytes: UnsafeRawBufferPointer, numberLiteral: ((String) -> Bool)?) -> Found? {
        var stack: [Frame] = []
        var i = 0
        let n = bytes.count
        while i < n {
            let c = bytes[i]
            switch c {
            case UInt8(ascii: "{"):
                stack.append(.object(keys: [], current: nil, expectingKey: true))
                i += 1
            case UInt8(ascii: "["):
                stack.append(.array(index: 0))
                i += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                if !stack.isEmpty { stack.removeLast() }
                i += 1
            case UInt8(ascii: ","):
                if let top = stack.last {
                    switch top {
                    case .array(let k): stack[stack.count - 1] = .array(index: k + 1)
                    case .object(let keys, let current, _): stack[stack.count - 1] = .object(keys: keys, current: current, expectingKey: true)
                    }
                }
                i += 1
            case UInt8(ascii: "\""):
                let (string, next) = decodeString(bytes, from: i + 1)
                i = next
                if case .object(var keys, _, true)? = stack.last {
                    if !keys.insert(string).inserted && numberLiteral == nil {
                        return .duplicate(Duplicate(key: String(decoding: string, as: UTF8.self), path: path(stack.dropLast())))
                    }
                    stack[stack.count - 1] = .object(keys: keys, current: string, expectingKey: false)
                }
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                var j = i
                while j < n, "0123456789+-.eE".utf8.contains(bytes[j]) { j += 1 }
                if let accept = numberLiteral {
                    let literal = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[i..<j]), as: UTF8.self)
                    if accept(literal) { return .number(path: path(stack[...]), literal: literal) }
                }
                i = j
            default:
                i += 1
            }
        }
        return nil
    }

    /// ``first(in:)`` over an array of bytes.
    public static func first(in bytes: [UInt8]) -> Duplicate? {
        bytes.withUnsafeBytes { first(in: $0) }
    }

    /// The JSONPath-like location of the innermost frame.
    private static func path(_ frames: ArraySlice<Frame>) -> String {
        var p = "$"
        for f in frames {
            switch f {
            case .array(let k): p += "[\(k)]"
            case .object(_, let current, _): p += "." + TerminalText.escaped(String(decoding: current ?? [], as: UTF8.self))
            }
        }
        return p
    }

    /// Decodes the string starting after its opening quote; returns its UTF-8 bytes (escapes
    /// resolved; a lone surrogate is kept as its 3-byte encoding, as Python keeps it) and the index
    /// after the closing quote (or the end).
    private static func decodeString(_ b: UnsafeRawBufferPointer, from start: Int) -> ([UInt8], Int) {
        var out: [UInt8] = []
        var i = start
        let n = b.count
        func hex4(_ at: Int) -> UInt32? {
            guard at + 4 <= n else { return nil }
            var v: UInt32 = 0
            for k in at..<(at + 4) {
                let c = b[k]
                let d: UInt8
                switch c {
                case 0x30...0x39: d = c - 0x30
                case 0x41...0x46: d = c - 0x41 + 10
                case 0x61...0x66: d = c - 0x61 + 10
                default: return nil
                }
                v = v << 4 | UInt32(d)
            }
            return v
        }
        func append(_ v: UInt32) {
            switch v {
            case 0..<0x80: out.append(UInt8(v))
            case 0x80..<0x800: out += [UInt8(0xC0 | v >> 6), UInt8(0x80 | v & 0x3F)]
            case 0x800..<0x10000: out += [UInt8(0xE0 | v >> 12), UInt8(0x80 | v >> 6 & 0x3F), UInt8(0x80 | v & 0x3F)]
            default: out += [UInt8(0xF0 | v >> 18), UInt8(0x80 | v >> 12 & 0x3F), UInt8(0x80 | v >> 6 & 0x3F), UInt8(0x80 | v & 0x3F)]
            }
        }
        while i < n {
            let c = b[i]
            if c == UInt8(ascii: "\"") { return (out, i + 1) }
            if c != UInt8(ascii: "\\") {
                out.append(c)
                i += 1
                continue
            }
            guard i + 1 < n else { return (out, n) }
            let e = b[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                guard let v = hex4(i) else { continue }
                i += 4
                if (0xD800..<0xDC00).contains(v), i + 6 <= n, b[i] == UInt8(ascii: "\\"), b[i + 1] == UInt8(ascii: "u"),
                   let low = hex4(i + 2), (0xDC00..<0xE000).contains(low) {
                    append(0x10000 + ((v - 0xD800) << 10) + (low - 0xDC00))
                    i += 6
                } else {
                    append(v)
                }
            default: out.append(e)  // \" \\ \/ and anything a parser would have refused
            }
        }
        return (out, n)
    }
}
