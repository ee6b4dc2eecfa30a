import Engine
import Foundation
import Testing

@Suite struct SnappyTests {
    /// Inputs of several shapes: empty, tiny, random (incompressible), small alphabets,
    /// long runs, repeated records, and sizes crossing the 64 KiB block boundary.
    static func corpus(seed: UInt64) -> [[UInt8]] {
        var rng = TimeseriesSeededRandom(seed: seed)
        var inputs: [[UInt8]] = [[], [0x61], Array("ab".utf8), Array(repeating: 0, count: 15), Array(repeating: 0, count: 16)]
        for size in [17, 100, 1000, 65_535, 65_536, 65_537, 200_000] {
            inputs.append((0..<size).map { _ in UInt8.random(in: 0...255, using: &rng) })
            inputs.append((0..<size).map { _ in UInt8.random(in: 97...100, using: &rng) })
            inputs.append((0..<size).map { i in UInt8(truncatingIfNeeded: i / 300) })
        }
        var records = ""
        for i in 0..<3000 {
            records += #"{"__name__":"http_requests_total","job":"api","instance":"10.0.0.\#(i % 7):9090","value":\#(i * 37 % 1000)}"#
            records += "\n"
        }
        inputs.append(Array(records.utf8))
        // Random mixture of copies from earlier data and fresh bytes, to exercise every copy
        // length and offset form.
        var mixed: [UInt8] = []
        while mixed.count < 300_000 {
            if mixed.count > 100, Bool.random(using: &rng) {
                let offset = Int.random(in: 1...min(mixed.count, 70_000), using: &rng)
                let length = Int.random(in: 1...200, using: &rng)
                for _ in 0..<length { mixed.append(mixed[mixed.count - offset]) }
            } else {
                for _ in 0..<Int.random(in: 1...80, using: &rng) { mixed.append(UInt8.random(in: 0...255, using: &rng)) }
            }
        }
        inputs.append(mixed)
        return inputs
    }

    @Test func roundTripsEveryShape() throws {
        for input in Self.corpus(seed: 42) {
            let compressed = try Snappy.compress(input)
            #expect(compressed.count <= Snappy.maximumCompressedLength(input.count))
            #expect(try Snappy.uncompressedLength(compressed) == input.count)
            let restored = try Snappy.decompress(compressed)
            #expect(restored == input, "size \(input.count)")
        }
    }

    @Test func randomizedRoundTrips() throws {
        var rng = TimeseriesSeededRandom(seed: 7)
        for _ in 0..<300 {
            let size = Int.random(in: 0...5000, using: &rng)
            let alphabet = UInt8.random(in: 1...255, using: &rng)
            let input = (0..<size).map { _ in UInt8.random(in: 0...alphabet, using: &rng) }
            #expect(try Snappy.decompress(Snappy.compress(input)) == input)
        }
    }

    @Test func goldenEncodings() throws {
        #expect(try Snappy.compress([]) == [0x00])
        #expect(try Snappy.compress([0x61]) == [0x01, 0x00, 0x61])
        // Below 16 bytes there is no matching: one literal.
        #expect(try Snappy.compress(Array(repeating: 0, count: 15)) == [0x0F, 0x38] + Array(repeating: 0, count: 15))
        // 100 × "a": literal "a", then a copy of 99 at offset 1, split 64 + 35.
        #expect(try Snappy.compress(Array(repeating: 0x61, count: 100))
            == [0x64, 0x00, 0x61, 0xFE, 0x01, 0x00, 0x8A, 0x01, 0x00])
    }

    @Test func decodesTheFormatDescriptionExample() throws {
        // "xababab": literal "xab", then copy offset 2 length 4 (overlapping its output).
        let stream: [UInt8] = [0x07, 0x08, 0x78, 0x61, 0x62, 0x01, 0x02]
        #expect(try Snappy.decompress(stream) == Array("xababab".utf8))
        // The same copy as 2- and 4-byte-offset forms.
        #expect(try Snappy.decompress([0x07, 0x08, 0x78, 0x61, 0x62, 0x0E, 0x02, 0x00]) == Array("xababab".utf8))
        #expect(try Snappy.decompress([0x07, 0x08, 0x78, 0x61, 0x62, 0x0F, 0x02, 0x00, 0x00, 0x00]) == Array("xababab".utf8))
        // A literal with a 2-byte length (tag 61).
        let long = Array(repeating: UInt8(0x42), count: 300)
        #expect(try Snappy.decompress([0xAC, 0x02, 0xF4, 0x2B, 0x01] + long) == long)
    }

    @Test func compressesRepetitiveData() throws {
        let text = Array(String(repeating: "flowgate remote write sample ", count: 2000).utf8)
        let compressed = try Snappy.compress(text)
        #expect(compressed.count < text.count / 20)
        var rng = TimeseriesSeededRandom(seed: 99)
        let noise = (0..<100_000).map { _ in UInt8.random(in: 0...255, using: &rng) }
        // Incompressible data grows only by the literal headers.
        #expect(try Snappy.compress(noise).count <= noise.count + 16)
    }

    @Test(arguments: [
        ([UInt8](), SnappyError.Code.truncated),  // no preamble
        ([0x80], .truncated),  // preamble cut
        ([0xFF, 0xFF, 0xFF, 0xFF, 0x1F], .corrupt),  // length over 32 bits
        ([0x05, 0x10, 0x61], .truncated),  // literal of 5, 1 byte present
        ([0x04, 0x01, 0x01], .corrupt),  // copy before any output
        ([0x04, 0x00, 0x61, 0x01, 0x02], .corrupt),  // offset 2 with 1 byte written
        ([0x04, 0x00, 0x61, 0x05, 0x00], .corrupt),  // offset 0
        ([0x02, 0x00, 0x61], .corrupt),  // declared 2, produced 1
        ([0x01, 0x04, 0x61, 0x62], .corrupt),  // literal longer than declared
        ([0x06, 0x00, 0x61, 0x0D, 0x01], .corrupt),  // copy of 7 past the declared end
        ([0x04, 0x00, 0x61, 0x02], .truncated),  // 2-byte-offset copy cut
        ([0x04, 0xF0], .truncated),  // literal length byte missing
    ])
    func rejectsBrokenStreams(_ stream: [UInt8], code: SnappyError.Code) {
        do {
            _ = try Snappy.decompress(stream)
            Issue.record("accepted \(stream)")
        } catch {
            #expect(error.code == code, "\(stream): \(error)")
        }
    }

    @Test func refusesOversizedOutputBeforeAllocating() throws {
        // Claims 4 GiB − 1 bytes in five bytes.
        do {
            _ = try Snappy.decompress([0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x00], maximumLength: 1 << 20)
            Issue.record("accepted")
        } catch {
            #expect(error.code == .outputTooLarge)
        }
    }

    /// Mutated and random streams either decode to exactly the declared length or fail
    /// with an error; they never trap.
    @Test func fuzzedStreamsFailCleanly() throws {
        var rng = TimeseriesSeededRandom(seed: 2024)
        let valid = try Snappy.compress(Array(String(repeating: "abcdefgh12345678", count: 200).utf8))
        for round in 0..<3000 {
            var stream: [UInt8]
            if round % 3 == 0 {
                stream = (0..<Int.random(in: 0...64, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            } else {
                stream = valid
                for _ in 0..<Int.random(in: 1...4, using: &rng) {
                    let i = Int.random(in: 0..<stream.count, using: &rng)
                    stream[i] = UInt8.random(in: 0...255, using: &rng)
                }
                if Bool.random(using: &rng) { stream = Array(stream.prefix(Int.random(in: 0...stream.count, using: &rng))) }
            }
            if let out = try? Snappy.decompress(stream, maximumLength: 1 << 16) {
                #expect(out.count == (try? Snappy.uncompressedLength(stream)))
            }
        }
    }

    @Test func largeInputIsReasonablyFast() throws {
        var input: [UInt8] = []
        var rng = TimeseriesSeededRandom(seed: 5)
        while input.count < 4 << 20 {
            input.append(contentsOf: Array("series_\(Int.random(in: 0...500, using: &rng)) value=\(Int.random(in: 0...99, using: &rng))\n".utf8))
        }
        let clock = ContinuousClock()
        var compressed: [UInt8] = []
        let elapsed = try clock.measure { compressed = try Snappy.compress(input) }
        #expect(try Snappy.decompress(compressed) == input)
        // Generous bound for an unoptimized debug build on a shared 2-core machine.
        #expect(elapsed < .seconds(20), "compressing 4 MiB took \(elapsed)")
        print("snappy: 4 MiB -> \(compressed.count) bytes in \(elapsed)")
    }

    // MARK: Peers

    /// python-snappy and cramjam decompress our output; we decompress theirs.
    @Test(.enabled(if: TimeseriesPeerPython.enabled, "set FLOWGATE_PYTHON to a Python with python-snappy and cramjam"))
    func interoperatesWithPythonSnappy() async throws {
        guard TimeseriesPeerPython.interpreter != nil else {
            Issue.record("FLOWGATE_REQUIRE_PEERS=1 but FLOWGATE_PYTHON is not set")
            return
        }
        let dir = try TimeseriesPeerPython.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var names: [String] = []
        for (i, input) in Self.corpus(seed: 11).enumerated() {
            try Data(input).write(to: dir.appendingPathComponent("in-\(i).bin"))
            try Data(try Snappy.compress(input)).write(to: dir.appendingPathComponent("in-\(i).snappy"))
            names.append("in-\(i)")
        }
        let result = try await TimeseriesPeerPython.run(script: Self.peerScript, arguments: [dir.path] + names, in: dir)
        if TimeseriesPeerPython.skipForMissingModules(result) { return }
        try #require(result.status == 0, "\(result.output)")
        for name in names {
            let original = try [UInt8](Data(contentsOf: dir.appendingPathComponent("\(name).bin")))
            let theirs = try [UInt8](Data(contentsOf: dir.appendingPathComponent("\(name).python-snappy")))
            #expect(try Snappy.decompress(theirs) == original, "\(name)")
        }
    }

    static let peerScript = #"""
    import sys, os
    try:
        import snappy, cramjam
    except ImportError as e:
        print("missing peer module:", e); sys.exit(3)
    d = sys.argv[1]
    for name in sys.argv[2:]:
        original = open(os.path.join(d, name + ".bin"), "rb").read()
        ours = open(os.path.join(d, name + ".snappy"), "rb").read()
        a = snappy.decompress(ours)
        b = bytes(cramjam.snappy.decompress_raw(ours))
        if a != original or b != original:
            print("mismatch for", name, len(original), len(a), len(b)); sys.exit(1)
        if not snappy.isValidCompressed(ours):
            print("python-snappy says invalid:", name); sys.exit(1)
        open(os.path.join(d, name + ".python-snappy"), "wb").write(snappy.compress(original))
    print("ok", len(sys.argv) - 2)
    """#
}
