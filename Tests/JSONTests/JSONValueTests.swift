import JSON
import Testing

@Suite struct JSONValueTests {
    @Test func parsesEveryKindAndKeepsIntegersApart() throws {
        let value = try JSONValue.parse(#"{"a": 1, "b": 1.5, "c": true, "d": null, "e": "x", "f": [1, "2"], "g": {"h": -0}, "big": 9223372036854775807}"#)
        #expect(value["a"] == .int(1))
        #expect(value["b"] == .double(1.5))
        #expect(value["c"] == .bool(true))
        #expect(value["d"] == .null)
        #expect(value["e"] == .string("x"))
        #expect(value["f"] == .array([.int(1), .string("2")]))
        #expect(value["g"]?["h"] == .int(0))
        #expect(value["big"] == .int(Int64.max))
    }

    @Test func integersBeyondInt64BecomeDoubles() throws {
        #expect(try JSONValue.parse("92233720368547758070") == .double(92233720368547758070))
    }

    @Test func serializationIsDeterministicAndRoundTrips() throws {
        let text = #"{"z":[1,2.5,"é\n\"q\"\u0001"],"a":{"y":false,"b":null}}"#
        let value = try JSONValue.parse(text)
        let out = value.serialized()
        #expect(out == #"{"a":{"b":null,"y":false},"z":[1,2.5,"é\n\"q\"\u0001"]}"#)
        #expect(try JSONValue.parse(out) == value)
        #expect(JSONValue.double(2).serialized() == "2.0")
    }

    @Test func unicodeEscapesIncludingSurrogatePairs() throws {
        #expect(try JSONValue.parse(#""\u00e9\ud83d\ude00""#) == .string("é😀"))
        #expect(throws: JSONParseError.self) { try JSONValue.parse(#""\ud83d""#) }
        #expect(throws: JSONParseError.self) { try JSONValue.parse(#""\ude00x""#) }
    }

    @Test(arguments: [
        ("{\"a\": 1,}", 1, 9), ("[1, 2", 1, 6), ("{\n  \"a\": tru\n}", 2, 8), ("01", 1, 1), ("\"abc", 1, 1), ("{} x", 1, 4),
        ("{\"a\":1, \"a\":2}", 1, 9), ("\"\u{1}\"", 1, 2), ("1.", 1, 1), ("-", 1, 1), ("", 1, 1),
    ])
    func errorsSayWhere(input: String, line: Int, column: Int) {
        do {
            _ = try JSONValue.parse(input)
            Issue.record("\(input) parsed")
        } catch {
            #expect(error.line == line, "\(input): \(error)")
            #expect(error.column == column, "\(input): \(error)")
        }
    }

    @Test func nestingIsLimited() throws {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: JSONParseError.self) { try JSONValue.parse(deep) }
        let ok = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(try JSONValue.parse(ok).arrayValue?.count == 1)
    }

    @Test func invalidUTF8IsRefused() {
        let bytes: [UInt8] = [0x22, 0xFF, 0xFE, 0x22]
        #expect(throws: JSONParseError.self) { try JSONValue.parse(bytes) }
    }

    @Test func duplicateKeysCanBeAllowed() throws {
        let value = try JSONValue.parse(#"{"a":1,"a":2}"#, limits: .init(rejectDuplicateKeys: false))
        #expect(value["a"] == .int(2))
    }

    @Test func codableBridgeKeepsTypes() throws {
        let value: JSONValue = ["n": 1, "f": 1.5, "s": "x", "b": true, "z": nil, "a": [1]]
        let encoded = try JSONEncoderLike.encode(value)
        #expect(try JSONValue.parse(encoded) == value)
    }
}

import Foundation

enum JSONEncoderLike {
    static func encode(_ value: JSONValue) throws -> [UInt8] {
        Array(try JSONEncoder().encode(value))
    }
}
