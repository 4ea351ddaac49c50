import Testing
@testable import Interop

@Suite struct JSONValueTests {
    @Test func parsesKerasConfigValuesKeepingIntegersApart() throws {
        let v = try JSONValue.parse(#"{"units": 8, "rate": 0.3, "name": "d", "b": true, "n": null, "s": [null, 4]}"#)
        #expect(v["units"] == .int(8))
        #expect(v["rate"]?.double == 0.3)
        #expect(v["b"]?.bool == true)
        #expect(v["n"]?.isNull == true)
        #expect(v["s"]?.array?.map(\.int) == [nil, 4])
    }

    @Test func writesCompactTextInInsertionOrder() {
        var o = JSONObject()
        o["z"] = 1
        o["a"] = .double(0.5)
        o["w"] = .double(6)
        o["s"] = "q\"uote"
        #expect(JSONValue.object(o).text == #"{"z": 1, "a": 0.5, "w": 6.0, "s": "q\"uote"}"#)
    }

    /// Files Keras reads get Python's spellings of non-finite numbers; the tools' `--json` output
    /// (`strictText`) gets `null`, which every JSON parser reads.
    @Test func strictTextWritesNonFiniteNumbersAsNull() {
        let v: JSONValue = .object(JSONObject(["a": .array([.double(.nan), .double(.infinity), .double(-.infinity)]), "b": .double(1.5), "c": .int(2)]))
        #expect(v.text == #"{"a": [NaN, Infinity, -Infinity], "b": 1.5, "c": 2}"#)
        #expect(v.strictText == #"{"a": [null, null, null], "b": 1.5, "c": 2}"#)
    }
}
