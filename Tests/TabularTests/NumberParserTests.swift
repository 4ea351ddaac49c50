import Testing
@testable import Tabular

@Suite struct NumberParserTests {
    @Test(arguments: [
        ("0", Float(0)), ("-0", Float(-0.0)), ("1", 1), ("+2.5", 2.5), ("-.5", -0.5), ("3.", 3), ("1e3", 1000),
        ("2.5E-1", 0.25), ("  7  ", 7), ("0.1", Float(0.1)), ("16777217", 16777216), ("1e-45", Float(bitPattern: 1)),
        ("3.4028235e38", Float.greatestFiniteMagnitude),
    ] as [(String, Float)])
    func parsesDecimalNumbersCorrectlyRounded(text: String, expected: Float) {
        #expect(NumberParser.parse(text) == .value(expected))
    }

    @Test func negativeZeroKeepsItsSign() {
        guard case .value(let v) = NumberParser.parse("-0") else { Issue.record("not a value"); return }
        #expect(v.sign == .minus)
    }

    @Test(arguments: ["", "   "])
    func emptyTextIsEmpty(text: String) {
        #expect(NumberParser.parse(text) == .empty)
    }

    @Test(arguments: ["abc", "1,5", "0x10", "1e", "1e+", "--1", "1.2.3", "1 2", ".", "-", "1_000", "½"])
    func rejectsNonDecimalText(text: String) {
        #expect(NumberParser.parse(text) == .notNumeric)
    }

    @Test(arguments: ["nan", "NaN", "-nan", "NAN"])
    func reportsNaN(text: String) {
        #expect(NumberParser.parse(text) == .notANumber)
    }

    @Test(arguments: ["inf", "-Inf", "infinity", "+INFINITY", "1e39", "-4e38"])
    func reportsInfiniteAndOutOfRangeValues(text: String) {
        #expect(NumberParser.parse(text) == .infinite)
    }
}
