/// Makes a string from a file safe to print on a terminal or in a one-line message: control
/// characters (C0, DEL, C1, which includes the escape sequences that recolour or retitle a terminal),
/// line and paragraph separators and bidirectional overrides become `\u{…}`, so a crafted layer name
/// or metadata value can neither forge output lines nor send commands to the terminal. Printable text,
/// including non-ASCII letters, is unchanged.
public enum TerminalText {
    /// `text` with every unsafe scalar written as `\u{hex}`.
    public static func escaped(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isUnsafe) else { return text }
        var out = ""
        for u in text.unicodeScalars {
            if isUnsafe(u) { out += "\\u{\(String(u.value, radix: 16))}" } else { out.unicodeScalars.append(u) }
        }
        return out
    }

    /// C0 and C1 controls, DEL, U+2028/2029, and the bidirectional embedding, override and isolate controls.
    static func isUnsafe(_ u: Unicode.Scalar) -> Bool {
        switch u.value {
        case 0..<0x20, 0x7F...0x9F, 0x2028, 0x2029, 0x202A...0x202E, 0x2066...0x2069, 0x200E, 0x200F, 0x061C: true
        default: false
        }
    }
}
