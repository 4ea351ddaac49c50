import Foundation
import Testing
@testable import Format

/// Issue 12 items 4 and 8: the duplicate-key scan every JSON reader runs, and terminal escaping.
@Suite struct JSONDuplicateKeysTests {
    private func first(_ text: String) -> JSONDuplicateKeys.Duplicate? { JSONDuplicateKeys.first(in: Array(text.utf8)) }

    @Test func findsRepeatedKeysWithTheirPath() {
        #expect(first(#"{"a":1,"a":2}"#) == .init(key: "a", path: "$"))
        #expect(first(#"{"config":{"layers":[{"x":1},{"config":{"activation":"sigmoid","activation":"relu"}}]}}"#)
                == .init(key: "activation", path: "$.config.layers[1].config"))
        // The same key in sibling objects, and keys that only look alike, are fine.
        #expect(first(#"{"a":{"k":1},"b":{"k":2},"c":[{"k":1},{"k":2}],"K":0,"k ":1,"k":"k"}"#) == nil)
        // A string value equal to a key is not a key.
        #expect(first(#"{"a":"a","b":["a","a"]}"#) == nil)
    }

    @Test func comparesKeysAfterEscapesAsPythonDoes() {
        #expect(first(#"{"p":1,"\u0070":2}"#)?.key == "p")
        #expect(first(#"{"\ud83d\ude00":1,"😀":2}"#)?.key == "😀")
        #expect(first(#"{"a\"b":1,"a\u0022b":2}"#)?.key == "a\"b")
        // No Unicode normalisation: precomposed and decomposed é are different keys to Python too.
        #expect(first("{\"\u{E9}\":1,\"e\u{301}\":2}") == nil)
    }

    @Test func deepOrMalformedInputNeverTraps() {
        let deep = String(repeating: "[", count: 200_000) + String(repeating: "]", count: 200_000)
        #expect(first(deep) == nil)
        for text in ["{\"a", "{\"a\\", "{\"a\\u12", "}}]]{", "\"\\u", "{\"a\":1,\"a"] { _ = first(text) }
        #expect(first("{\"a\":1,\"a\"") == .init(key: "a", path: "$"))
    }

    @Test func terminalTextEscapesControlsAndKeepsLetters() {
        #expect(TerminalText.escaped("hidden\u{1b}]0;x\u{7}\u{1b}[31m") == "hidden\\u{1b}]0;x\\u{7}\\u{1b}[31m")
        #expect(TerminalText.escaped("a\nb\r\u{85}\u{2028}\u{202E}") == "a\\u{a}b\\u{d}\\u{85}\\u{2028}\\u{202e}")
        #expect(TerminalText.escaped("Größe µ 😀 tab-free") == "Größe µ 😀 tab-free")
    }
}
