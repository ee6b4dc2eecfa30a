/// Hexadecimal text of bytes (digests, MACs), the one encoder every module uses. Inlinable, so
/// that each caller gets it specialized for its byte sequence (a digest, an array).
public enum Hex {
    /// `bytes` as hex digits, lowercase unless `uppercase`.
    @inlinable
    public static func encode(_ bytes: some Sequence<UInt8>, uppercase: Bool = false) -> String {
        if let text = bytes.withContiguousStorageIfAvailable({ encode(UnsafeRawBufferPointer($0), uppercase: uppercase) }) {
            return text
        }
        return Array(bytes).withUnsafeBytes { encode($0, uppercase: uppercase) }
    }

    /// `bytes` as hex digits, written straight into the string's storage (one allocation: the
    /// audit chain and token lookups encode a digest on every request).
    @inlinable
    public static func encode(_ bytes: UnsafeRawBufferPointer, uppercase: Bool = false) -> String {
        let digits: StaticString = uppercase ? "0123456789ABCDEF" : "0123456789abcdef"
        return String(unsafeUninitializedCapacity: bytes.count * 2) { out in
            digits.withUTF8Buffer { table in
                var i = 0
                for b in bytes {
                    out[i] = table[Int(b >> 4)]
                    out[i + 1] = table[Int(b & 0x0F)]
                    i += 2
                }
            }
            return bytes.count * 2
        }
    }
}
