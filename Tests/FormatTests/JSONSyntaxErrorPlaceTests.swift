import Foundation
import Testing
@testable import Format

/// A JSON syntax error (a Keras configuration, `config.json`, an `.nnf` header) was reported as
/// "invalid JSON: The given data was not valid JSON." with no place, the whole of what Foundation's
/// `JSONDecoder` says on Linux; it now names the line and column of the first bad byte.
@Suite struct JSONSyntaxErrorPlaceTests {
    func message(_ text: String) -> String {
        do { _ = try JSONValue.parse(text); return "accepted" } catch { return "\(error)" }
    }

    @Test func aSyntaxErrorIsNamedByLineAndColumn() {
        #expect(message("{\"a\": }") == "invalid JSON: invalid value at line 1, column 7", "\(message("{\"a\": }"))")
        let missingComma = message("{\n  \"a\": 1\n  \"b\": 2\n}")
        #expect(missingComma.hasPrefix("invalid JSON: ") && missingComma.hasSuffix(" at line 3, column 3"), "\(missingComma)")
    }

    @Test func nestingTooDeepIsNamedAsSuchWithItsPlace() {
        let deep = message("{\"a\": " + String(repeating: "[", count: 600) + String(repeating: "]", count: 600) + "}")
        #expect(deep.hasPrefix("invalid JSON: too many nested arrays or dictionaries at line 1, column "), "\(deep)")
    }

    @Test func validJSONHasNoSyntaxErrorPlace() {
        #expect(JSONValue.syntaxErrorPlace(in: Data("{\"a\": [1, 2.5, \"x\", null]}".utf8)) == nil)
    }
}
