import Engine
import Foundation
import Testing

@Suite struct LineProtocolEncoderTests {
    let encoder = LineProtocolEncoder()

    @Test func fullLine() throws {
        let point = LineProtocolPoint(
            measurement: "cpu", tags: ["region": "eu-west", "host": "server01"],
            fields: ["usage": .float(0.64), "cores": .integer(8), "healthy": .boolean(true), "note": .string("ok"), "bytes": .unsignedInteger(18_446_744_073_709_551_615)],
            timestampNanoseconds: 1_556_813_561_098_000_000)
        #expect(try encoder.encode(point)
            == "cpu,host=server01,region=eu-west bytes=18446744073709551615u,cores=8i,healthy=true,note=\"ok\",usage=0.64 1556813561098000000\n")
    }

    @Test func escapingPerElement() throws {
        let point = LineProtocolPoint(
            measurement: "my meas,ure=x",
            tags: ["tag key,=": "value with, = and \\", "path": "C:\\dir"],
            fields: ["field key=": .string(#"he said "hi" \o/"#), "f,2": .boolean(false)])
        // Measurement: comma and space (and backslash); keys and tag values: comma, equals,
        // space (and backslash); string values: quote and backslash.
        #expect(try encoder.encode(point)
            == #"my\ meas\,ure=x,path=C:\\dir,tag\ key\,\==value\ with\,\ \=\ and\ \\ f\,2=false,field\ key\=="he said \"hi\" \\o/""# + "\n")
    }

    @Test func quotesAndUnicodeNeedNoEscaping() throws {
        let point = LineProtocolPoint(measurement: "m\"'", tags: ["t": "🍭'\""], fields: ["f": .string("Launch 🚀, = ok")])
        #expect(try encoder.encode(point) == "m\"',t=🍭'\" f=\"Launch 🚀, = ok\"\n")
    }

    @Test func floatsUseShortestRoundTripForm() throws {
        func line(_ v: Double) throws -> String { try encoder.encode(LineProtocolPoint(measurement: "m", fields: ["v": .float(v)])) }
        #expect(try line(1) == "m v=1.0\n")
        #expect(try line(-1.5) == "m v=-1.5\n")
        #expect(try line(1e20) == "m v=1e+20\n")
        #expect(try line(1e-7) == "m v=1e-07\n")
        #expect(try line(0.1 + 0.2) == "m v=0.30000000000000004\n")
        #expect(try line(.greatestFiniteMagnitude) == "m v=1.7976931348623157e+308\n")
        #expect(try encoder.encode(LineProtocolPoint(measurement: "m", fields: ["v": .integer(.min)])) == "m v=-9223372036854775808i\n")
    }

    @Test func precisionDividesTowardThePast() throws {
        let ns: Int64 = 1_700_000_000_123_456_789
        func line(_ p: LineProtocolPrecision, _ t: Int64) throws -> String {
            try LineProtocolEncoder(configuration: .init(precision: p)).encode(LineProtocolPoint(measurement: "m", fields: ["v": .integer(1)], timestampNanoseconds: t))
        }
        #expect(try line(.nanoseconds, ns) == "m v=1i 1700000000123456789\n")
        #expect(try line(.microseconds, ns) == "m v=1i 1700000000123456\n")
        #expect(try line(.milliseconds, ns) == "m v=1i 1700000000123\n")
        #expect(try line(.seconds, ns) == "m v=1i 1700000000\n")
        #expect(try line(.seconds, -1) == "m v=1i -1\n")
        #expect(LineProtocolPrecision(name: "ms") == .milliseconds)
        #expect(LineProtocolPrecision(name: "h") == nil)
        #expect(LineProtocolPrecision.microseconds.name == "us")
    }

    @Test func dateTimestamps() throws {
        let point = LineProtocolPoint(measurement: "m", fields: ["v": .integer(1)], date: Date(timeIntervalSince1970: 1_700_000_000.25))
        #expect(point.timestampNanoseconds == 1_700_000_000_250_000_000)
        #expect(try LineProtocolEncoder(configuration: .init(precision: .milliseconds)).encode(point) == "m v=1i 1700000000250\n")
    }

    @Test func emptyTagValuesAreLeftOut() throws {
        #expect(try encoder.encode(LineProtocolPoint(measurement: "m", tags: ["a": "", "b": "x"], fields: ["v": .integer(1)])) == "m,b=x v=1i\n")
    }

    @Test func manyPointsAreSeparateLines() throws {
        let points = (0..<3).map { LineProtocolPoint(measurement: "m", fields: ["v": .integer(Int64($0))], timestampNanoseconds: Int64($0)) }
        #expect(try encoder.encode(points) == "m v=0i 0\nm v=1i 1\nm v=2i 2\n")
    }

    @Test func outputIsDeterministicRegardlessOfInsertionOrder() throws {
        var rng = TimeseriesSeededRandom(seed: 3)
        let keys = (0..<20).map { "k\($0)" }
        var lines = Set<String>()
        for _ in 0..<10 {
            var tags: [String: String] = [:]
            for k in keys.shuffled(using: &rng) { tags[k] = "v" }
            lines.insert(try encoder.encode(LineProtocolPoint(measurement: "m", tags: tags, fields: ["f": .integer(1)])))
        }
        #expect(lines.count == 1)
    }

    @Test(arguments: [
        (LineProtocolPoint(measurement: "", fields: ["v": .integer(1)]), LineProtocolError.Code.emptyMeasurement),
        (LineProtocolPoint(measurement: "m", fields: [:]), .noFields),
        (LineProtocolPoint(measurement: "m", fields: ["v": .float(.nan)]), .nonFiniteFloat),
        (LineProtocolPoint(measurement: "m", fields: ["v": .float(.infinity)]), .nonFiniteFloat),
        (LineProtocolPoint(measurement: "m", fields: ["v": .float(-.infinity)]), .nonFiniteFloat),
        (LineProtocolPoint(measurement: "m", tags: ["t": "a\nb"], fields: ["v": .integer(1)]), .newline),
        (LineProtocolPoint(measurement: "m\r", fields: ["v": .integer(1)]), .newline),
        (LineProtocolPoint(measurement: "m", fields: ["v": .string("line1\nline2")]), .newline),
        (LineProtocolPoint(measurement: "m", fields: ["": .integer(1)]), .invalidName),
        (LineProtocolPoint(measurement: "m", tags: ["": "x"], fields: ["v": .integer(1)]), .invalidName),
        (LineProtocolPoint(measurement: "_m", fields: ["v": .integer(1)]), .invalidName),
        (LineProtocolPoint(measurement: "m", tags: ["_t": "x"], fields: ["v": .integer(1)]), .invalidName),
        (LineProtocolPoint(measurement: "m", fields: ["_f": .integer(1)]), .invalidName),
        (LineProtocolPoint(measurement: "m", fields: ["time": .integer(1)]), .invalidName),
        (LineProtocolPoint(measurement: "m", tags: ["time": "x"], fields: ["v": .integer(1)]), .invalidName),
        (LineProtocolPoint(measurement: "#m", fields: ["v": .integer(1)]), .invalidName),
        (LineProtocolPoint(measurement: "m", fields: ["v": .string(String(repeating: "x", count: 65_536))]), .tooLong),
    ])
    func invalidPointsAreRefused(_ point: LineProtocolPoint, code: LineProtocolError.Code) {
        do {
            _ = try encoder.encode(point)
            Issue.record("accepted \(point)")
        } catch {
            #expect(error.code == code, "\(error)")
        }
    }

    @Test func errorsNameTheElement() {
        do {
            _ = try encoder.encode(LineProtocolPoint(measurement: "m", fields: ["temp": .float(.nan)]))
            Issue.record("accepted")
        } catch {
            #expect(error.description == "line protocol: field \"temp\" is nan, which line protocol cannot represent")
        }
    }

    @Test func reservedNamesCanBeAllowed() throws {
        let lenient = LineProtocolEncoder(configuration: .init(rejectReservedNames: false))
        #expect(try lenient.encode(LineProtocolPoint(measurement: "_internal", tags: ["_t": "_v"], fields: ["_f": .integer(1)])) == "_internal,_t=_v _f=1i\n")
    }

    @Test func aFailedPointLeavesTheBufferAlone() throws {
        var out = Array("keep\n".utf8)
        #expect(throws: LineProtocolError.self) {
            try encoder.append(LineProtocolPoint(measurement: "m", tags: ["a": "1"], fields: ["v": .float(.nan)]), to: &out)
        }
        #expect(out == Array("keep\n".utf8))
    }

    /// Randomized names and values: parsing each line back with an independent reader of
    /// the escaping rules gives the original measurement, tags and string fields.
    @Test func randomizedEscapingRoundTrips() throws {
        var rng = TimeseriesSeededRandom(seed: 11)
        let alphabet = Array("ab ,=\\\"'xyzé🚀".unicodeScalars)
        func word(_ rng: inout TimeseriesSeededRandom) -> String {
            var s = String.UnicodeScalarView()
            for _ in 0..<Int.random(in: 1...8, using: &rng) { s.append(alphabet[Int.random(in: 0..<alphabet.count, using: &rng)]) }
            return "q" + String(s)  // never empty, never starting with _ or #
        }
        for _ in 0..<500 {
            let measurement = word(&rng)
            var tags: [String: String] = [:]
            for _ in 0..<Int.random(in: 0...3, using: &rng) { tags[word(&rng)] = word(&rng) }
            let fieldKey = word(&rng)
            let fieldValue = word(&rng)
            let line = try encoder.encode(LineProtocolPoint(measurement: measurement, tags: tags, fields: [fieldKey: .string(fieldValue)]))
            let parsed = try #require(Self.parse(line))
            #expect(parsed.measurement == measurement)
            #expect(parsed.tags == tags)
            #expect(parsed.fieldKey == fieldKey)
            #expect(parsed.fieldValue == fieldValue)
        }
    }

    /// A reader for one line with one string field, per the reference's rules: a backslash
    /// escapes the next character; unescaped `,` `=` and space delimit.
    static func parse(_ line: String) -> (measurement: String, tags: [String: String], fieldKey: String, fieldValue: String)? {
        var chars = Array(line.unicodeScalars)
        guard chars.last == "\n" else { return nil }
        chars.removeLast()
        var i = 0
        func token(until stops: Set<Unicode.Scalar>) -> String {
            var out = String.UnicodeScalarView()
            while i < chars.count, !stops.contains(chars[i]) {
                if chars[i] == "\\", i + 1 < chars.count { i += 1 }
                out.append(chars[i])
                i += 1
            }
            return String(out)
        }
        let measurement = token(until: [",", " "])
        var tags: [String: String] = [:]
        while i < chars.count, chars[i] == "," {
            i += 1
            let key = token(until: ["="])
            i += 1
            tags[key] = token(until: [",", " "])
        }
        guard i < chars.count, chars[i] == " " else { return nil }
        i += 1
        let fieldKey = token(until: ["="])
        i += 1
        guard i < chars.count, chars[i] == "\"" else { return nil }
        i += 1
        var value = String.UnicodeScalarView()
        while i < chars.count, chars[i] != "\"" {
            if chars[i] == "\\", i + 1 < chars.count { i += 1 }
            value.append(chars[i])
            i += 1
        }
        guard i == chars.count - 1 else { return nil }
        return (measurement, tags, fieldKey, String(value))
    }
}
