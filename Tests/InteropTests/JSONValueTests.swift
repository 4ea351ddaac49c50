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
}
