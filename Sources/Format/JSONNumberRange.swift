/// Finds number literals in JSON text that no `Double` holds, to word an error: Foundation's
/// decoder rejects `1e-400` or `1e999` without saying where.
enum JSONNumberRange {
    /// The path (`training.optimizer.epsilon`, `tensors[3].offset`) and text of the first number
    /// literal in `json` that overflows a `Double` to ±infinity or underflows it to zero although
    /// its mantissa has a non-zero digit; nil when every number fits. Linear in the text, no
    /// recursion. The text is assumed to be JSON that parsed (only used after a decoding error);
    /// key text is shown as written, escapes included.
    static func firstOutOfRange(in json: [UInt8]) -> (path: String, literal: String)? {
        struct Frame { var isObject: Bool; var key = ""; var index = 0 }
        var stack: [Frame] = []
        var expectingKey = false
        var i = 0
        func path() -> String {
            var out = ""
            for f in stack {
                if f.isObject { out += out.isEmpty ? f.key : "." + f.key } else { out += "[\(f.index)]" }
            }
            return out
        }
        while i < json.count {
            let c = json[i]
            switch c {
            case UInt8(ascii: "{"): stack.append(Frame(isObject: true)); expectingKey = true; i += 1
            case UInt8(ascii: "["): stack.append(Frame(isObject: false)); expectingKey = false; i += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"): if !stack.isEmpty { stack.removeLast() }; i += 1
            case UInt8(ascii: ","):
                if let last = stack.indices.last {
                    if stack[last].isObject { expectingKey = true } else { stack[last].index += 1 }
                }
                i += 1
            case UInt8(ascii: ":"): expectingKey = false; i += 1
            case UInt8(ascii: "\""):
                var j = i + 1
                while j < json.count && json[j] != UInt8(ascii: "\"") { j += json[j] == UInt8(ascii: "\\") ? 2 : 1 }
                if expectingKey, let last = stack.indices.last, stack[last].isObject {
                    stack[last].key = String(decoding: json[(i + 1)..<min(j, json.count)], as: UTF8.self)
                }
                i = j + 1
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                var j = i
                while j < json.count, "0123456789+-.eE".utf8.contains(json[j]) { j += 1 }
                let literal = String(decoding: json[i..<j], as: UTF8.self)
                let mantissa = literal.prefix { $0 != "e" && $0 != "E" }
                if let d = Double(literal), d.isInfinite || (d == 0 && mantissa.contains { ("1"..."9").contains($0) }) {
                    return (path(), literal)
                }
                i = j
            default: i += 1
            }
        }
        return nil
    }
}
