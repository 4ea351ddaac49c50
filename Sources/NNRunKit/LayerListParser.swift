import Format
import Tabular

/// Parses `nnrun init --layers` specifications, comma-separated items:
/// - `UNITS[:ACTIVATION]`: a Dense layer, e.g. `4:sigmoid`;
/// - `normalization` (or `norm`): a Keras `Normalization` layer on the last axis, not yet adapted
///   (mean 0, variance 1, count 0); `nnrun train` adapts it on the training rows first.
///
/// E.g. `normalization,16:relu,1:sigmoid`. Layers are named as Keras names them, one counter per
/// kind: `dense`, `dense_1`, …, `normalization`, `normalization_1`, ….
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
        var seen: [String: Int] = [:]
        func name(_ base: String) -> String {
            let n = seen[base, default: 0]
            seen[base] = n + 1
            return n == 0 ? base : "\(base)_\(n)"
        }
        return try items.map { item in
            if ["normalization", "norm"].contains(item.lowercased()) {
                return LayerSpec(name: name("normalization"), kind: .normalization(Normalization()))
            }
            let parts = item.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard parts.count <= 2, let units = Int(parts[0]) else {
                throw ParseError(item: item, reason: "expected UNITS, UNITS:ACTIVATION (e.g. 4:relu) or normalization")
            }
            guard FlagLimits.width.contains(units) else {
                throw ParseError(item: item, reason: "units must be in \(FlagLimits.width.lowerBound)...\(FlagLimits.width.upperBound), found \(units)")
            }
            var activation = ActivationName.linear
            if parts.count == 2 {
                guard let a = ActivationName(keras: parts[1]), !parts[1].isEmpty else {
                    throw ParseError(item: item, reason: "unknown activation \"\(parts[1])\"; supported: \(ActivationName.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                activation = a
            }
            return LayerSpec(name: name("dense"), kind: .dense(Dense(units: units, activation: activation)))
        }
    }
}
