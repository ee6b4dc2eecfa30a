/// Why Snappy data could not be compressed or decompressed.
public struct SnappyError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of problem; compare with the static members.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case inputTooLarge, outputTooLarge, truncated, corrupt
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The input to compress is longer than the format's 2³² − 1 bytes.
        public static let inputTooLarge = Code(.inputTooLarge)
        /// The declared uncompressed length exceeds the caller's limit.
        public static let outputTooLarge = Code(.outputTooLarge)
        /// The compressed data ends in the middle of an element.
        public static let truncated = Code(.truncated)
        /// The compressed data is not valid Snappy (bad offset, length mismatch, bad varint).
        public static let corrupt = Code(.corrupt)

        public var description: String { base.rawValue }
    }

    /// What kind of problem this is.
    public let code: Code
    /// A sentence saying what is wrong.
    public let message: String

    private init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    static func inputTooLarge(_ count: Int) -> SnappyError {
        .init(.inputTooLarge, "input of \(count) bytes is larger than Snappy's limit of 4294967295 bytes")
    }
    static func outputTooLarge(_ declared: Int, limit: Int) -> SnappyError {
        .init(.outputTooLarge, "declared uncompressed length \(declared) exceeds the limit of \(limit) bytes")
    }
    static func truncated(at offset: Int) -> SnappyError { .init(.truncated, "compressed data ends early at byte \(offset)") }
    static func corrupt(_ what: String, at offset: Int) -> SnappyError { .init(.corrupt, "\(what) at byte \(offset)") }

    public var description: String { "snappy: \(message)" }
}

/// The Snappy compressed *block* format (not the framed stream format): what Prometheus
/// remote write, among others, expects in a `Content-Encoding: snappy` body.
///
/// The compressor is a single-pass LZ77 matcher: it works in independent 64 KiB blocks, keys a
/// hash table by the next four bytes, emits literals for unmatched runs and copies for
/// matches of four bytes or more. Like the reference compressor, it skips ahead faster through
/// data that keeps failing to match, so incompressible input costs little time.
public enum Snappy {
    /// The largest uncompressed size the format can describe.
    public static let maximumInputLength = Int(UInt32.max)
    /// Default cap on a decompressed size, so a tiny hostile input cannot claim gigabytes.
    public static let defaultMaximumDecompressedLength = 64 << 20

    /// Input is compressed in blocks of this size; offsets within a block fit in 16 bits.
    static let blockSize = 1 << 16
    /// Largest hash table (entries); small inputs use a smaller one to save clearing it.
    static let maxHashTableBits = 14
    /// Matching stops this close to a block's end so that 4- and 8-byte loads stay in bounds.
    static let inputMargin = 15

    /// An upper bound on the compressed size of `length` input bytes.
    public static func maximumCompressedLength(_ length: Int) -> Int { 32 + length + length / 6 }

    /// Compresses `input` into the Snappy block format.
    ///
    /// - Throws: ``SnappyError/Code-swift.struct/inputTooLarge`` past 4 GiB − 1.
    public static func compress(_ input: [UInt8]) throws(SnappyError) -> [UInt8] {
        guard input.count <= maximumInputLength else { throw .inputTooLarge(input.count) }
        let capacity = maximumCompressedLength(input.count)
        return [UInt8](unsafeUninitializedCapacity: capacity) { out, initialized in
            var writer = SnappyOutput(base: out, position: 0)
            writer.writeVarint(UInt64(input.count))
            input.withUnsafeBytes { source in
                var table = [UInt16](repeating: 0, count: 1 << maxHashTableBits)
                table.withUnsafeMutableBufferPointer { table in
                    var blockStart = 0
                    while blockStart < source.count {
                        let blockEnd = min(blockStart + blockSize, source.count)
                        compressBlock(source, from: blockStart, to: blockEnd, table: table, into: &writer)
                        blockStart = blockEnd
                    }
                }
            }
            initialized = writer.position
        }
    }

    /// The uncompressed length declared in the preamble of `compressed`.
    public static func uncompressedLength(_ compressed: [UInt8]) throws(SnappyError) -> Int {
        var position = 0
        return try readLength(compressed, position: &position)
    }

    /// Decompresses Snappy block-format data, checking every element against the input and
    /// output bounds.
    ///
    /// - Parameter maximumLength: the largest decompressed size accepted (default 64 MiB).
    /// - Throws: ``SnappyError`` for truncated or corrupt input, or a declared length past
    ///   `maximumLength`.
    public static func decompress(_ compressed: [UInt8], maximumLength: Int = defaultMaximumDecompressedLength) throws(SnappyError) -> [UInt8] {
        var position = 0
        let length = try readLength(compressed, position: &position)
        guard length <= maximumLength else { throw .outputTooLarge(length, limit: maximumLength) }
        var failure: SnappyError?
        let start = position
        let output = [UInt8](unsafeUninitializedCapacity: length) { out, initialized in
            initialized = 0
            compressed.withUnsafeBufferPointer { input in
                do throws(SnappyError) {
                    initialized = try decodeElements(input, from: start, into: out)
                } catch {
                    failure = error
                }
            }
        }
        if let failure { throw failure }
        return output
    }

    // MARK: Compression

    /// Compresses `source[blockStart..<blockEnd]`; copy offsets never reach before
    /// `blockStart`, which is what keeps them within 16 bits.
    private static func compressBlock(
        _ source: UnsafeRawBufferPointer, from blockStart: Int, to blockEnd: Int,
        table: UnsafeMutableBufferPointer<UInt16>, into out: inout SnappyOutput
    ) {
        let length = blockEnd - blockStart
        guard length >= inputMargin + 1 else {
            out.writeLiteral(source, from: blockStart, count: length)
            return
        }
        // Table size: the smallest power of two >= the block length, within 256...2^14.
        var bits = 8
        while bits < maxHashTableBits && (1 << bits) < length { bits += 1 }
        let shift = UInt32(32 - bits)
        for i in 0..<(1 << bits) { table[i] = 0 }

        // Every load below reads at most 8 bytes at a position < matchLimit + 8 <= blockEnd.
        let matchLimit = blockEnd - inputMargin
        @inline(__always) func load32(_ i: Int) -> UInt32 {
            UInt32(littleEndian: source.loadUnaligned(fromByteOffset: i, as: UInt32.self))
        }
        @inline(__always) func hash(_ v: UInt32) -> Int { Int((v &* 0x1E35_A7BD) >> shift) }

        var nextEmit = blockStart
        var position = blockStart + 1
        var nextHash = hash(load32(position))
        outer: while true {
            // Find a 4-byte match. After 32 misses, step 2 bytes at a time, then 3, ...
            var skip = 32
            var next = position
            var candidate = 0
            repeat {
                position = next
                let step = skip >> 5
                skip += 1
                next = position + step
                if next > matchLimit { break outer }
                candidate = blockStart + Int(table[nextHash])
                table[nextHash] = UInt16(truncatingIfNeeded: position - blockStart)
                nextHash = hash(load32(next))
            } while load32(position) != load32(candidate)

            out.writeLiteral(source, from: nextEmit, count: position - nextEmit)

            // Emit the match, then keep emitting while the bytes right after it match too:
            // runs of copies with no literal in between are common in structured data.
            repeat {
                let matchStart = position
                let matched = 4 + matchLength(source, candidate + 4, position + 4, limit: blockEnd)
                position += matched
                out.writeCopy(offset: matchStart - candidate, length: matched)
                nextEmit = position
                if position >= matchLimit { break outer }
                // Index the position just before, so overlapping repeats are found next time.
                table[hash(load32(position - 1))] = UInt16(truncatingIfNeeded: position - 1 - blockStart)
                let h = hash(load32(position))
                candidate = blockStart + Int(table[h])
                table[h] = UInt16(truncatingIfNeeded: position - blockStart)
            } while load32(position) == load32(candidate)
            position += 1
            nextHash = hash(load32(position))
        }
        if nextEmit < blockEnd {
            out.writeLiteral(source, from: nextEmit, count: blockEnd - nextEmit)
        }
    }

    /// How many bytes at `a` and `b` (with `a < b`) agree, reading no further than `limit`.
    @inline(__always)
    private static func matchLength(_ source: UnsafeRawBufferPointer, _ a: Int, _ b: Int, limit: Int) -> Int {
        var matched = 0
        while b + matched + 8 <= limit {
            let x = source.loadUnaligned(fromByteOffset: a + matched, as: UInt64.self)
            let y = source.loadUnaligned(fromByteOffset: b + matched, as: UInt64.self)
            let diff = UInt64(littleEndian: x ^ y)
            if diff != 0 { return matched + diff.trailingZeroBitCount / 8 }
            matched += 8
        }
        while b + matched < limit, source[a + matched] == source[b + matched] { matched += 1 }
        return matched
    }

    // MARK: Decompression

    private static func readLength(_ input: [UInt8], position: inout Int) throws(SnappyError) -> Int {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < input.count else { throw .truncated(at: position) }
            let byte = input[position]
            position += 1
            if shift == 28 && byte > 0x0F {
                throw .corrupt("uncompressed length does not fit in 32 bits", at: position - 1)
            }
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return Int(value) }
            shift += 7
        }
    }

    /// Decodes elements from `input[start...]` into `out`, which has exactly the declared
    /// length; returns how many bytes were written, which must be all of them.
    private static func decodeElements(_ input: UnsafeBufferPointer<UInt8>, from start: Int, into out: UnsafeMutableBufferPointer<UInt8>) throws(SnappyError) -> Int {
        var i = start
        var written = 0
        let end = input.count
        while i < end {
            let tag = input[i]
            let elementStart = i
            i += 1
            switch tag & 0x03 {
            case 0:
                var length = Int(tag >> 2) + 1
                if length > 60 {
                    let extra = length - 60
                    guard i + extra <= end else { throw .truncated(at: elementStart) }
                    var value = 0
                    for k in 0..<extra { value |= Int(input[i + k]) << (8 * k) }
                    length = value + 1
                    i += extra
                }
                guard length <= end - i else { throw .truncated(at: elementStart) }
                guard length <= out.count - written else { throw .corrupt("literal runs past the declared length", at: elementStart) }
                for k in 0..<length { out[written + k] = input[i + k] }
                i += length
                written += length
            default:
                let length: Int
                let offset: Int
                switch tag & 0x03 {
                case 1:
                    guard i + 1 <= end else { throw .truncated(at: elementStart) }
                    length = Int((tag >> 2) & 0x07) + 4
                    offset = Int(tag >> 5) << 8 | Int(input[i])
                    i += 1
                case 2:
                    guard i + 2 <= end else { throw .truncated(at: elementStart) }
                    length = Int(tag >> 2) + 1
                    offset = Int(input[i]) | Int(input[i + 1]) << 8
                    i += 2
                default:
                    guard i + 4 <= end else { throw .truncated(at: elementStart) }
                    length = Int(tag >> 2) + 1
                    offset = Int(input[i]) | Int(input[i + 1]) << 8 | Int(input[i + 2]) << 16 | Int(input[i + 3]) << 24
                    i += 4
                }
                guard offset > 0, offset <= written else { throw .corrupt("copy offset \(offset) is outside the output", at: elementStart) }
                guard length <= out.count - written else { throw .corrupt("copy runs past the declared length", at: elementStart) }
                // Byte by byte: a copy may overlap its own output (offset < length), which
                // is how runs are encoded.
                var from = written - offset
                for _ in 0..<length {
                    out[written] = out[from]
                    written += 1
                    from += 1
                }
            }
        }
        guard written == out.count else {
            throw .corrupt("decoded \(written) bytes but the preamble declared \(out.count)", at: end)
        }
        return written
    }
}

/// The compressor's output cursor over a buffer of ``Snappy/maximumCompressedLength(_:)``
/// bytes, which every write fits within by construction.
private struct SnappyOutput {
    let base: UnsafeMutableBufferPointer<UInt8>
    var position: Int

    mutating func write(_ byte: UInt8) {
        base[position] = byte
        position += 1
    }

    mutating func writeVarint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            write(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        write(UInt8(v))
    }

    mutating func writeLiteral(_ source: UnsafeRawBufferPointer, from start: Int, count: Int) {
        guard count > 0 else { return }
        let n = count - 1
        if n < 60 {
            write(UInt8(n << 2))
        } else {
            // Tag 60...63 says how many little-endian length bytes follow (1...4).
            var bytes = 1
            while bytes < 4 && n >> (8 * bytes) != 0 { bytes += 1 }
            write(UInt8((59 + bytes) << 2))
            for k in 0..<bytes { write(UInt8(truncatingIfNeeded: n >> (8 * k))) }
        }
        for k in 0..<count { write(source[start + k]) }
    }

    /// Writes a copy of `length >= 4` bytes from `offset` (1...65535) back.
    mutating func writeCopy(offset: Int, length: Int) {
        var remaining = length
        // Pieces of 64 while at least 68 remain, so the last piece is never shorter than 4
        // (the shortest copy the 1-byte-offset form can hold).
        while remaining >= 68 {
            writeCopyPiece(offset: offset, length: 64)
            remaining -= 64
        }
        if remaining > 64 {
            writeCopyPiece(offset: offset, length: 60)
            remaining -= 60
        }
        writeCopyPiece(offset: offset, length: remaining)
    }

    private mutating func writeCopyPiece(offset: Int, length: Int) {
        if length <= 11 && offset < 2048 {
            write(UInt8(0x01 | ((length - 4) << 2) | ((offset >> 8) << 5)))
            write(UInt8(truncatingIfNeeded: offset))
        } else {
            write(UInt8(0x02 | ((length - 1) << 2)))
            write(UInt8(truncatingIfNeeded: offset))
            write(UInt8(truncatingIfNeeded: offset >> 8))
        }
    }
}
