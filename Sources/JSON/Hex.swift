/// Hexadecimal text of bytes (digests, MACs), the one encoder every module uses. Inlinable, so
/// that each caller gets it specialized for its byte sequence (a digest, an array).
public enum Hex {
    /// `bytes` as hex digits, lowercase unless `uppercase`.
    @inlinable
    public static func encode(_ bytes: some Sequence<UInt8>, uppercase: Bool = false) -> String {
        let digits: StaticString = uppercase ? "0123456789ABCDEF" : "0123456789abcdef"
        var out: [UInt8] = []
        out.reserveCapacity(bytes.underestimatedCount * 2)
        digits.withUTF8Buffer { table in
            for b in bytes {
                out.append(table[Int(b >> 4)])
                out.append(table[Int(b & 0x0F)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
