import Format

/// Parses `nnrun init --layers` specifications: `UNITS[:ACTIVATION]`, comma-separated,
/// e.g. `4:sigmoid,1:sigmoid`. Layers are named as Keras names them: `dense`, `dense_1`, ….
public enum LayerListParser {
    public struct ParseError: Error, CustomStringConvertible, Equatable {
        public let item: String
        public let reason: String
        public var description: String { "--layers item \"\(item)\": \(reason)" }
    }

    public static func parse(_ text: String) throws -> [LayerSpec] {
        let items = text.split(separator: ",", omittingEmptySubsequences: false).map { String($0).trimmingSpaces() }
        guard !items.isEmpty, !(items.count == 1 && items[0].isEmpty) else {
            throw ParseError(item: text, reason: "expected at least one layer, e.g. 4:sigmoid,1:sigmoid")
        }
        return try items.enumerated().map { i, item in
            let parts = item.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard parts.count <= 2, let units = Int(parts[0]) else {
                throw ParseError(item: item, reason: "expected UNITS or UNITS:ACTIVATION, e.g. 4:relu")
            }
            guard units >= 1 else { throw ParseError(item: item, reason: "units must be at least 1") }
            var activation = ActivationName.linear
            if parts.count == 2 {
                guard let a = ActivationName(keras: parts[1]), !parts[1].isEmpty else {
                    throw ParseError(item: item, reason: "unknown activation \"\(parts[1])\"; supported: \(ActivationName.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                activation = a
            }
            return LayerSpec(name: i == 0 ? "dense" : "dense_\(i)", kind: .dense(Dense(units: units, activation: activation)))
        }
    }
}

extension String {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return String(s)
    }
}
