/// Finds number literals in JSON text that no `Double` holds, to word an error: Foundation's
/// decoder rejects `1e-400` or `1e999` without saying where.
enum JSONNumberRange {
    /// The path (`training.optimizer.epsilon`, `tensors[3].offset`) and text of the first number
    /// literal in `json` that overflows a `Double` to ±infinity or underflows it to zero although
    /// its mantissa has a non-zero digit; nil when every number fits. Uses the duplicate-key scan's
    /// walk (``JSONDuplicateKeys/walk(_:numberLiteral:)``: linear, no recursion); only used after
    /// a decoding error.
    static func firstOutOfRange(in json: [UInt8]) -> (path: String, literal: String)? {
        let found = json.withUnsafeBytes {
            JSONDuplicateKeys.walk($0) { literal in
                let mantissa = literal.prefix { $0 != "e" && $0 != "E" }
                guard let d = Double(literal) else { return false }
                return d.isInfinite || (d == 0 && mantissa.contains { ("1"..."9").contains($0) })
            }
        }
        guard case .number(let path, let literal)? = found else { return nil }
        return (path.hasPrefix("$.") ? String(path.dropFirst(2)) : path, literal)
    }
}
