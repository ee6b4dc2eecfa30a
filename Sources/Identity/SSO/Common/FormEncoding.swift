/// `application/x-www-form-urlencoded` and URL query handling, without Foundation.
public enum FormEncoding {
    /// Percent-encodes everything but RFC 3986 unreserved characters (so spaces become %20).
    public static func percentEncode(_ text: String) -> String {
        var out: [UInt8] = []
        let hex = Array("0123456789ABCDEF".utf8)
        for b in text.utf8 {
            switch b {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                out.append(b)
            default:
                out += [UInt8(ascii: "%"), hex[Int(b >> 4)], hex[Int(b & 0x0F)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `k1=v1&k2=v2` with both sides percent-encoded, in the given order.
    public static func encode(_ pairs: [(String, String)]) -> String {
        pairs.map { "\(percentEncode($0.0))=\(percentEncode($0.1))" }.joined(separator: "&")
    }

    /// Decodes `%XX` and `+`; nil for malformed escapes or invalid UTF-8.
    public static func percentDecode(_ text: some StringProtocol) -> String? {
        var out: [UInt8] = []
        var bytes = Array(text.utf8)[...]
        while let b = bytes.popFirst() {
            if b == UInt8(ascii: "+") {
                out.append(0x20)
            } else if b == UInt8(ascii: "%") {
                guard let h = bytes.popFirst(), let l = bytes.popFirst(), let hi = hexValue(h), let lo = hexValue(l) else {
                    return nil
                }
                out.append(hi << 4 | lo)
            } else {
                out.append(b)
            }
        }
        return String(validating: out, as: UTF8.self)
    }

    private static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return b - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return b - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return b - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// Parses a query string or form body (`a=1&b=2`, no leading `?`) into pairs in order;
    /// nil when an escape is malformed.
    public static func decode(_ text: some StringProtocol) -> [(String, String)]? {
        var pairs: [(String, String)] = []
        for part in text.split(separator: "&", omittingEmptySubsequences: true) {
            let kv = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let key = percentDecode(kv[0]) else { return nil }
            let value = kv.count > 1 ? percentDecode(kv[1]) : ""
            guard let value else { return nil }
            pairs.append((key, value))
        }
        return pairs
    }

    /// Appends query parameters to a URL that may already have a query.
    public static func appendQuery(_ url: String, _ pairs: [(String, String)]) -> String {
        let separator = url.contains("?") ? "&" : "?"
        return url + separator + encode(pairs)
    }
}
