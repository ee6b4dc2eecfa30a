import Testing

@testable import Policy

@Suite("Extension types")
struct CedarExtensionTests {
    @Test("decimal parsing: four fractional digits, Int64 range")
    func decimalParse() throws {
        #expect(try CedarDecimal.parse("1.5").get().scaled == 15_000)
        #expect(try CedarDecimal.parse("-0.0001").get().scaled == -1)
        #expect(try CedarDecimal.parse("007.25").get().scaled == 72_500)
        #expect(try CedarDecimal.parse("922337203685477.5807").get().scaled == Int64.max)
        #expect(try CedarDecimal.parse("-922337203685477.5808").get().scaled == Int64.min)
        for bad in ["1", "1.", ".5", "+1.0", "1.23456", "1.2.3", "a.b", "", "922337203685477.5808", " 1.0"] {
            #expect(throws: ExtensionError.self, "\(bad)") { try CedarDecimal.parse(bad).get() }
        }
        #expect(CedarDecimal(scaled: -15_000).description == "-1.5000")
    }

    @Test("decimal comparison methods")
    func decimalMethods() throws {
        #expect(try CedarFixture.eval("decimal(\"-1.5\").lessThan(decimal(\"1.0\"))") == .bool(true))
        #expect(try CedarFixture.eval("decimal(\"2.0\").greaterThanOrEqual(decimal(\"2.0000\"))") == .bool(true))
        #expect(try CedarFixture.eval("decimal(\"2.0\").lessThanOrEqual(decimal(\"1.9999\"))") == .bool(false))
        #expect(try CedarFixture.eval("decimal(\"2.0\").greaterThan(decimal(\"1.9999\"))") == .bool(true))
        #expect(CedarFixture.fails("decimal(\"1.0\").lessThan(1)"))
        #expect(CedarFixture.fails("decimal(1)"))
        #expect(CedarFixture.fails("decimal(\"x\")"))
    }

    @Test("ip parsing and ranges")
    func ipaddr() throws {
        #expect(try CedarFixture.eval("ip(\"192.168.1.7\").isInRange(ip(\"192.168.0.0/16\"))") == .bool(true))
        #expect(try CedarFixture.eval("ip(\"10.0.0.0/8\").isInRange(ip(\"10.0.0.0/16\"))") == .bool(false))
        #expect(try CedarFixture.eval("ip(\"1.2.3.4\").isInRange(ip(\"::/0\"))") == .bool(false))
        #expect(try CedarFixture.eval("ip(\"127.0.0.1\").isLoopback() && ip(\"::1\").isLoopback()") == .bool(true))
        #expect(try CedarFixture.eval("ip(\"127.0.0.1/7\").isLoopback()") == .bool(false))
        #expect(try CedarFixture.eval("ip(\"224.0.0.1\").isMulticast() && ip(\"ff02::1\").isMulticast()") == .bool(true))
        #expect(try CedarFixture.eval("ip(\"::1\").isIpv6() && ip(\"1.1.1.1\").isIpv4()") == .bool(true))
        #expect(try CedarFixture.eval("ip(\"FE80::1:2\") == ip(\"fe80:0:0:0:0:0:1:2\")") == .bool(true))
        #expect(try CedarFixture.eval("ip(\"127.0.0.1\") == ip(\"127.0.0.1/32\")") == .bool(true))
        for bad in ["01.1.1.1", "1.1.1", "256.1.1.1", "1.1.1.1/33", "1.1.1.1/08", "1.1.1.1/", "::ffff:1.2.3.4", "1:2:3:4:5:6:7:8:9",
                    "::1:2:3:4:5:6:7:8", "1::2::3", " 1.1.1.1", "g::1", ":1::"] {
            #expect(throws: ExtensionError.self, "\(bad)") { try CedarIPAddress.parse(bad).get() }
        }
        #expect(try CedarIPAddress.parse("1:2:3:4:5:6:7::").get().isV4 == false)
        #expect(try CedarIPAddress.parse("10.1.2.3/24").get().description == "10.1.2.3/24")
    }

    @Test("datetime parsing")
    func datetimeParse() throws {
        #expect(try CedarDatetime.parse("1970-01-01").get().milliseconds == 0)
        #expect(try CedarDatetime.parse("1970-01-02T00:00:01Z").get().milliseconds == 86_401_000)
        #expect(try CedarDatetime.parse("1970-01-01T00:00:00.123Z").get().milliseconds == 123)
        #expect(try CedarDatetime.parse("1970-01-01T01:00:00+0100").get().milliseconds == 0)
        #expect(try CedarDatetime.parse("1969-12-31T23:00:00-0100").get().milliseconds == 0)
        #expect(try CedarDatetime.parse("2024-02-29").get().milliseconds == 1_709_164_800_000)
        #expect(try CedarDatetime.parse("0000-01-01").get().milliseconds < 0)
        for bad in ["2024-1-01", "2023-02-29", "2024-13-01", "2024-01-01T24:00:00Z", "2024-01-01T00:00:60Z", "2024-01-01T00:00:00",
                    "2024-01-01T00:00:00.12Z", "2024-01-01T00:00:00+2400", "2024-01-01T00:00:00+0160", "2024-01-01t00:00:00Z",
                    "-001-01-01", "10000-01-01", "2024-01-01Z"] {
            #expect(throws: ExtensionError.self, "\(bad)") { try CedarDatetime.parse(bad).get() }
        }
    }

    @Test("datetime and duration methods")
    func datetimeMethods() throws {
        #expect(try CedarFixture.eval("datetime(\"2024-01-01T10:30:00Z\").toDate() == datetime(\"2024-01-01\")") == .bool(true))
        #expect(try CedarFixture.eval("datetime(\"1969-12-31T12:00:00Z\").toDate() == datetime(\"1969-12-31\")") == .bool(true))
        #expect(try CedarFixture.eval("datetime(\"1969-12-31T23:00:00Z\").toTime() == duration(\"23h\")") == .bool(true))
        #expect(try CedarFixture.eval("datetime(\"2024-01-01\").offset(duration(\"1d2h\")) == datetime(\"2024-01-02T02:00:00Z\")") == .bool(true))
        #expect(try CedarFixture.eval("datetime(\"2024-01-02\").durationSince(datetime(\"2024-01-01\")) == duration(\"24h\")") == .bool(true))
        #expect(try CedarFixture.eval("duration(\"-90m\").toHours()") == .long(-1))
        #expect(try CedarFixture.eval("duration(\"1d2h3m4s5ms\").toMilliseconds()") == .long(93_784_005))
        #expect(try CedarFixture.eval("duration(\"36h\").toDays()") == .long(1))
        #expect(try CedarFixture.eval("duration(\"90s\").toMinutes()") == .long(1))
        #expect(try CedarFixture.eval("duration(\"1500ms\").toSeconds()") == .long(1))
        #expect(CedarFixture.fails("datetime(\"1970-01-01\").offset(duration(\"9223372036854775807ms\")).offset(duration(\"1ms\"))"))
        #expect(CedarFixture.fails("datetime(\"1970-01-01\").offset(datetime(\"1970-01-01\"))"))
    }

    @Test("duration parsing")
    func durationParse() throws {
        #expect(try CedarDuration.parse("-0ms").get().milliseconds == 0)
        #expect(try CedarDuration.parse("01h").get().milliseconds == 3_600_000)
        #expect(try CedarDuration.parse("-9223372036854775808ms").get().milliseconds == Int64.min)
        for bad in ["", "1", "2h1d", "1h1h", "1.5h", "+1ms", "1h-2m", "1ms1s", "9223372036854775808ms", "1w", "-"] {
            #expect(throws: ExtensionError.self, "\(bad)") { try CedarDuration.parse(bad).get() }
        }
    }

    @Test("constructor calls on valid literals are folded at parse time")
    func folding() throws {
        guard case .folded(.ext(.ipaddr), .call(.ip, _)) = try PolicyParser.expression("ip(\"10.0.0.0/8\")") else {
            Issue.record("expected a folded constant")
            return
        }
        guard case .call(.ip, _) = try PolicyParser.expression("ip(\"bad\")") else {
            Issue.record("invalid literals stay calls so they fail at evaluation")
            return
        }
    }
}
