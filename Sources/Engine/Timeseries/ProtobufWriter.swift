/// The few pieces of the protobuf wire format that remote write needs, written by hand so the
/// engine carries no code generator or protobuf runtime.
///
/// Nested messages are length-delimited: ``message(_:_:)`` encodes the body into a scratch
/// writer first, then writes its length and bytes. Messages here are a few hundred bytes, so
/// the copy costs nothing worth a two-pass size computation.
struct ProtobufWriter {
    /// Wire types (the low three bits of a field key).
    enum WireType: UInt64 {
        case varint = 0
        case fixed64 = 1
        case lengthDelimited = 2
    }

    private(set) var bytes: [UInt8] = []

    init() {}

    mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    mutating func key(_ field: UInt64, _ type: WireType) {
        varint(field << 3 | type.rawValue)
    }

    /// An `int64` field: negative numbers take ten bytes (two's complement as a varint), as
    /// protobuf defines; `sint64` zig-zag is a different type.
    mutating func int64(_ field: UInt64, _ value: Int64) {
        key(field, .varint)
        varint(UInt64(bitPattern: value))
    }

    /// A `double` field: IEEE 754 bits, little-endian, 8 bytes.
    mutating func double(_ field: UInt64, _ value: Double) {
        key(field, .fixed64)
        let bits = value.bitPattern
        for k in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: bits >> (8 * UInt64(k)))) }
    }

    /// A `string` field (UTF-8, length-delimited).
    mutating func string(_ field: UInt64, _ value: String) {
        key(field, .lengthDelimited)
        let utf8 = Array(value.utf8)
        varint(UInt64(utf8.count))
        bytes.append(contentsOf: utf8)
    }

    /// An embedded message field.
    mutating func message(_ field: UInt64, _ body: (inout ProtobufWriter) -> Void) {
        var inner = ProtobufWriter()
        body(&inner)
        key(field, .lengthDelimited)
        varint(UInt64(inner.bytes.count))
        bytes.append(contentsOf: inner.bytes)
    }
}
