/// Cedar's `ipaddr` extension value: an IPv4 or IPv6 address with a prefix length.
///
/// The address keeps its host bits as written (`10.0.0.1/24` differs from `10.0.0.0/24`), which
/// is what equality in the reference engine compares.
public struct CedarIPAddress: Hashable, Sendable, CustomStringConvertible {
    /// Whether this is an IPv4 address.
    public let isV4: Bool
    /// The address bits; IPv4 uses the low 32 bits.
    public let address: UInt128
    /// The prefix length (0...32 or 0...128).
    public let prefix: UInt8

    /// Creates an address value directly.
    public init(isV4: Bool, address: UInt128, prefix: UInt8) {
        self.isV4 = isV4
        self.address = address
        self.prefix = prefix
    }

    private var width: Int { isV4 ? 32 : 128 }

    /// The first address of the range.
    var network: UInt128 {
        let hostBits = width - Int(prefix)
        if hostBits >= 128 { return 0 }
        return (address >> UInt128(hostBits)) << UInt128(hostBits)
    }

    /// The last address of the range.
    var broadcast: UInt128 {
        let hostBits = width - Int(prefix)
        let mask: UInt128 = hostBits >= 128 ? UInt128.max : ((1 as UInt128) << UInt128(hostBits)) - 1
        return network | mask
    }

    /// Whether this range lies within `other` (false across address families).
    public func isInRange(_ other: CedarIPAddress) -> Bool {
        guard isV4 == other.isV4 else { return false }
        return other.network <= network && broadcast <= other.broadcast
    }

    /// Whether the whole range is loopback (127.0.0.0/8 or ::1).
    public var isLoopback: Bool {
        isInRange(isV4 ? CedarIPAddress(isV4: true, address: 0x7F00_0000, prefix: 8) : CedarIPAddress(isV4: false, address: 1, prefix: 128))
    }

    /// Whether the whole range is multicast (224.0.0.0/4 or ff00::/8).
    public var isMulticast: Bool {
        isInRange(isV4 ? CedarIPAddress(isV4: true, address: 0xE000_0000, prefix: 4) : CedarIPAddress(isV4: false, address: (0xFF as UInt128) << 120, prefix: 8))
    }

    /// Parses `a.b.c.d[/n]` or an IPv6 text form `[/n]`; embedded IPv4 in IPv6 is refused, as in
    /// the reference engine.
    public static func parse(_ text: String) -> Result<CedarIPAddress, ExtensionError> {
        let bytes = Array(text.utf8)
        var addrPart = bytes[...]
        var prefixPart: ArraySlice<UInt8>?
        if let slash = bytes.firstIndex(of: UInt8(ascii: "/")) {
            addrPart = bytes[..<slash]
            prefixPart = bytes[(slash + 1)...]
        }
        let isV4 = !addrPart.contains(UInt8(ascii: ":"))
        let address: UInt128
        if isV4 {
            guard let a = parseV4(addrPart) else { return .failure(.malformed("invalid IP address: \(text)")) }
            address = UInt128(a)
        } else {
            if addrPart.contains(UInt8(ascii: ".")) {
                return .failure(.malformed("We do not accept IPv4 embedded in IPv6: \(text)"))
            }
            guard let a = parseV6(addrPart) else { return .failure(.malformed("invalid IP address: \(text)")) }
            address = a
        }
        let limit = isV4 ? 32 : 128
        var prefix = limit
        if let p = prefixPart {
            guard !p.isEmpty, p.count <= 3, p.allSatisfy(isDigit) else {
                return .failure(.malformed("invalid prefix in \(text)"))
            }
            if p.count > 1 && p.first == UInt8(ascii: "0") {
                return .failure(.malformed("invalid prefix in \(text): leading zero(s)"))
            }
            prefix = p.reduce(0) { $0 * 10 + Int($1 - 48) }
            guard prefix <= limit else { return .failure(.malformed("prefix \(prefix) is larger than the limit \(limit)")) }
        }
        return .success(CedarIPAddress(isV4: isV4, address: address, prefix: UInt8(prefix)))
    }

    private static func parseV4(_ s: ArraySlice<UInt8>) -> UInt32? {
        let parts = s.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy(isDigit) else { return nil }
            if part.count > 1 && part.first == UInt8(ascii: "0") { return nil }
            let octet = part.reduce(0) { $0 * 10 + Int($1 - 48) }
            guard octet <= 255 else { return nil }
            value = value << 8 | UInt32(octet)
        }
        return value
    }

    private static func parseV6(_ s: ArraySlice<UInt8>) -> UInt128? {
        func groups(_ part: ArraySlice<UInt8>) -> [UInt16]? {
            if part.isEmpty { return [] }
            var out: [UInt16] = []
            for g in part.split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false) {
                guard !g.isEmpty, g.count <= 4 else { return nil }
                var v: UInt16 = 0
                for c in g {
                    guard let h = hexValue(c) else { return nil }
                    v = v << 4 | UInt16(h)
                }
                out.append(v)
            }
            return out
        }
        let text = Array(s)
        var head: [UInt16]
        var tail: [UInt16] = []
        var compressed = false
        if let i = findDoubleColon(text) {
            compressed = true
            guard let h = groups(text[..<i]), let t = groups(text[(i + 2)...]) else { return nil }
            if findDoubleColon(Array(text[(i + 2)...])) != nil { return nil }
            head = h
            tail = t
            guard head.count + tail.count <= 7 else { return nil }
        } else {
            guard let h = groups(text[...]), h.count == 8 else { return nil }
            head = h
        }
        var all = head
        if compressed { all += Array(repeating: 0, count: 8 - head.count - tail.count) + tail }
        var value: UInt128 = 0
        for g in all { value = value << 16 | UInt128(g) }
        return value
    }

    private static func findDoubleColon(_ t: [UInt8]) -> Int? {
        var i = 0
        while i + 1 < t.count {
            if t[i] == UInt8(ascii: ":") && t[i + 1] == UInt8(ascii: ":") { return i }
            i += 1
        }
        return nil
    }

    /// Canonical text form with the prefix, e.g. `10.0.0.1/24`.
    public var description: String {
        if isV4 {
            let a = UInt32(truncatingIfNeeded: address)
            return "\(a >> 24).\(a >> 16 & 255).\(a >> 8 & 255).\(a & 255)/\(prefix)"
        }
        var groups: [String] = []
        for i in stride(from: 7, through: 0, by: -1) {
            groups.append(String(UInt16(truncatingIfNeeded: address >> UInt128(i * 16)), radix: 16))
        }
        return groups.joined(separator: ":") + "/\(prefix)"
    }
}

@inline(__always)
func hexValue(_ c: UInt8) -> UInt8? {
    switch c {
    case 48...57: return c - 48
    case 97...102: return c - 87
    case 65...70: return c - 55
    default: return nil
    }
}
