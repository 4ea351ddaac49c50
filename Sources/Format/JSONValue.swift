import Foundation

/// A JSON document as a tree, for reading Keras configurations and writing them back.
///
/// Objects keep their keys in insertion order so that written configurations read like the ones
/// Keras writes (`class_name` before `config`). Integers are kept apart from other numbers because
/// Keras rejects `8.0` where it expects `units: 8`.
public indirect enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// Parses UTF-8 JSON text. Accepts the `NaN`/`Infinity` literals Python's `json` writes.
    /// - Throws: ``JSONValueError`` with the decoder's description of the first syntax error.
    public static func parse(_ data: Data) throws -> JSONValue {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        let value: JSONValue
        do {
            value = try decoder.decode(JSONValue.self, from: data)
        } catch let e as DecodingError {
            throw JSONValueError.syntax(syntaxErrorPlace(in: data) ?? Self.describe(e))
        }
        // Keras (Python's json) keeps the last of two equal keys, Foundation the first: refuse both readings.
        if let d = data.withUnsafeBytes({ JSONDuplicateKeys.first(in: $0) }) {
            throw JSONValueError.duplicateKey(key: d.key, path: d.path)
        }
        return value
    }

    /// Parses JSON text. See ``parse(_:)-(Data)``.
    public static func parse(_ text: String) throws -> JSONValue { try parse(Data(text.utf8)) }

    /// The first syntax error of `data` with its line and column (1-based; the column counts bytes),
    /// e.g. "invalid value at line 3, column 7", or nil when none is found. Foundation's `JSONDecoder`
    /// on Linux says only "The given data was not valid JSON."; `JSONSerialization` names the byte
    /// offset ("Invalid value around character 6."), turned into a line and column here.
    static func syntaxErrorPlace(in data: Data) -> String? {
        let text: String
        do { _ = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]); return nil } catch {
            guard let d = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String else { return nil }
            text = d
        }
        guard let r = text.range(of: " around character "),
              let offset = Int(text[r.upperBound...].prefix { $0.isNumber }), offset >= 0, offset <= data.count else { return text }
        let before = data.prefix(offset)
        let line = before.reduce(1) { $1 == 0x0A ? $0 + 1 : $0 }
        let column = offset - (before.lastIndex(of: 0x0A).map { before.distance(from: before.startIndex, to: $0) + 1 } ?? 0) + 1
        let what = text[..<r.lowerBound]
        return what.prefix(1).lowercased() + what.dropFirst() + " at line \(line), column \(column)"
    }

    private static func describe(_ e: DecodingError) -> String {
        switch e {
        case .dataCorrupted(let c), .typeMismatch(_, let c), .valueNotFound(_, let c), .keyNotFound(_, let c):
            let underlying = (c.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
            return underlying ?? c.debugDescription
        @unknown default:
            return "\(e)"
        }
    }

    // MARK: Access

    /// The member `key` of an object; nil for other values or a missing key.
    public subscript(key: String) -> JSONValue? {
        if case .object(let o) = self { return o[key] }
        return nil
    }

    public var isNull: Bool { self == .null }
    public var string: String? { if case .string(let s) = self { s } else { nil } }
    public var bool: Bool? { if case .bool(let b) = self { b } else { nil } }
    /// Integers, and doubles that are whole numbers in `Int` range.
    public var int: Int? {
        switch self {
        case .int(let i): return i
        case .double(let d): return d.rounded() == d && abs(d) < 9.0e15 ? Int(d) : nil
        default: return nil
        }
    }
    /// Any number as a double.
    public var double: Double? {
        switch self {
        case .int(let i): Double(i)
        case .double(let d): d
        default: nil
        }
    }
    public var array: [JSONValue]? { if case .array(let a) = self { a } else { nil } }
    public var object: JSONObject? { if case .object(let o) = self { o } else { nil } }

    // MARK: Writing

    /// Compact JSON text (`", "` and `": "` separators, as Python's `json.dumps` writes).
    /// Non-finite doubles are written as `NaN`, `Infinity`, `-Infinity` like Python does.
    public var text: String {
        var out = ""
        write(to: &out, strict: false)
        return out
    }

    /// ``text`` as strict JSON: non-finite doubles are written as `null` (the tools' `--json` output,
    /// which `jq` and any JSON parser read; Python's `NaN` spelling is only for files Keras reads).
    public var strictText: String {
        var out = ""
        write(to: &out, strict: true)
        return out
    }

    private func write(to out: inout String, strict: Bool) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d):
            if strict && !d.isFinite { out += "null" } else if d.isNaN { out += "NaN" } else if d.isInfinite { out += d > 0 ? "Infinity" : "-Infinity" } else if d.rounded() == d && abs(d) < 1e16 {
                out += String(format: "%.1f", d)
            } else {
                out += "\(d)"
            }
        case .string(let s): JSONValue.writeString(s, to: &out)
        case .array(let a):
            out += "["
            for (i, v) in a.enumerated() {
                if i > 0 { out += ", " }
                v.write(to: &out, strict: strict)
            }
            out += "]"
        case .object(let o):
            out += "{"
            for (i, k) in o.keys.enumerated() {
                if i > 0 { out += ", " }
                JSONValue.writeString(k, to: &out)
                out += ": "
                (o[k] ?? .null).write(to: &out, strict: strict)
            }
            out += "}"
        }
    }

    private static func writeString(_ s: String, to out: inout String) {
        out += "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
            }
        }
        out += "\""
    }
}

extension JSONValue: Decodable {
    public init(from decoder: Decoder) throws {
        if let c = try? decoder.container(keyedBy: AnyKey.self) {
            var o = JSONObject()
            for k in c.allKeys.sorted(by: { $0.stringValue < $1.stringValue }) {
                o[k.stringValue] = try c.decode(JSONValue.self, forKey: k)
            }
            self = .object(o)
            return
        }
        if var c = try? decoder.unkeyedContainer() {
            var a: [JSONValue] = []
            while !c.isAtEnd { a.append(try c.decode(JSONValue.self)) }
            self = .array(a)
            return
        }
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let i = try? c.decode(Int.self) { self = .int(i) }
        else if let d = try? c.decode(Double.self) { self = .double(d) }
        else { self = .string(try c.decode(String.self)) }
    }

    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByNilLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(nilLiteral: ()) { self = .null }
}

/// A JSON object whose keys keep their insertion order.
public struct JSONObject: Sendable, Equatable {
    public private(set) var keys: [String] = []
    private var values: [String: JSONValue] = [:]

    public init() {}

    /// Builds an object from ordered pairs; a repeated key keeps its first position and last value.
    public init(_ pairs: KeyValuePairs<String, JSONValue>) {
        for (k, v) in pairs { self[k] = v }
    }

    /// Builds an object from `pairs`, then `more` (e.g. a layer's fields from the schema table).
    public init(_ pairs: KeyValuePairs<String, JSONValue>, _ more: [(String, JSONValue)]) {
        self.init(pairs)
        for (k, v) in more { self[k] = v }
    }

    public subscript(key: String) -> JSONValue? {
        get { values[key] }
        set {
            if let v = newValue {
                if values.updateValue(v, forKey: key) == nil { keys.append(key) }
            } else if values.removeValue(forKey: key) != nil {
                keys.removeAll { $0 == key }
            }
        }
    }
}

/// JSON text that could not be parsed.
public enum JSONValueError: Error, Equatable, CustomStringConvertible {
    case syntax(String)
    /// An object repeats `key` (at `path`, e.g. `$.config.layers[1].config`): Keras would read the last
    /// value where Foundation reads the first, so the document is refused.
    case duplicateKey(key: String, path: String)
    public var description: String {
        switch self {
        case .syntax(let s): "invalid JSON: \(s)"
        case .duplicateKey(let k, let p): "\(JSONDuplicateKeys.Duplicate(key: k, path: p)); Keras would use the last value, so nnkit refuses the file"
        }
    }
}
