import Engine
import Foundation
import Testing

#if canImport(FoundationXML)
import FoundationXML
#endif

@Suite struct SVGLineChartTests {
    typealias Chart = SVGLineChart

    /// What a strict XML parser sees in a document: elements, attributes and text.
    final class Inspection: NSObject, XMLParserDelegate {
        var elements: [String] = []
        var attributeNames: Set<String> = []
        var texts: [String] = []
        /// `(group class, text)` of every `<text>` element.
        var labels: [(group: String, text: String)] = []
        private var current = ""
        private var group = ""

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
            elements.append(name)
            attributeNames.formUnion(attributes.keys)
            current = ""
            if name == "g" { group = attributes["class"] ?? "" }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) { current += string }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            let text = current.trimmingCharacters(in: .whitespacesAndNewlines)
            if !text.isEmpty { texts.append(text) }
            if name == "text" { labels.append((group, text)) }
            if name == "g" { group = "" }
            current = ""
        }

        /// Parses `svg`; `nil` if it is not well-formed XML.
        static func of(_ svg: String) -> Inspection? {
            let inspection = Inspection()
            let parser = XMLParser(data: Data(svg.utf8))
            parser.delegate = inspection
            return parser.parse() ? inspection : nil
        }

        var yLabels: [String] { labels.filter { $0.group == "y-ticks" }.map(\.text) }
        var xLabels: [String] { labels.filter { $0.group == "x-ticks" }.map(\.text) }
    }

    func line(_ name: String, _ values: [(Double, Double)]) -> Chart.Series {
        Chart.Series(name: name, points: values.map { Chart.Point(time: $0.0, value: $0.1) })
    }

    // MARK: Safety

    @Test func callerTextIsInert() throws {
        let hostile = #"<img src=x onerror=alert(1)>"#
        let chart = Chart(configuration: .init(
            title: hostile + " & ]]> \u{0}\u{1B}", xAxisLabel: "</text><script>alert(2)</script>", yAxisLabel: "\"'><svg onload=alert(3)>"))
        let svg = chart.render([line(hostile, [(0, 1), (60, 2)]), line("a'b\"c&d", [(0, 3)])])
        for needle in ["<img", "<script", "<svg onload", "]]>", "\u{0}", "\u{1B}"] {
            #expect(!svg.contains(needle), "output contains \(needle)")
        }
        let inspection = try #require(Inspection.of(svg), "not well-formed XML")
        // Only the renderer's own vocabulary appears.
        #expect(Set(inspection.elements).isSubset(of: ["svg", "title", "rect", "text", "g", "line", "path", "circle"]))
        #expect(!inspection.attributeNames.contains { $0.lowercased().hasPrefix("on") || $0.lowercased().contains("href") || $0 == "style" })
        // The text reads back as what was given (control characters replaced).
        #expect(inspection.texts.contains(hostile + " & ]]> \u{FFFD}\u{FFFD}"))
        #expect(inspection.texts.contains(hostile))
        #expect(inspection.texts.contains("a'b\"c&d"))
        #expect(inspection.texts.contains("</text><script>alert(2)</script> (UTC)"))
        #expect(inspection.texts.contains("\"'><svg onload=alert(3)>"))
    }

    @Test func longTextIsClipped() throws {
        let svg = Chart(configuration: .init(title: String(repeating: "x", count: 500), maximumTextLength: 20)).render([])
        let inspection = try #require(Inspection.of(svg))
        #expect(inspection.texts.contains(String(repeating: "x", count: 19) + "…"))
        #expect(!svg.contains(String(repeating: "x", count: 21)))
    }

    // MARK: Golden

    /// A small chart, checked by eye as a PNG (rsvg-convert) before being pinned: line `a`
    /// runs 1 → 3 → 2 over two minutes, `b` is one dot at 0.5.
    @Test func goldenSmallChart() {
        let svg = Chart(configuration: .init(width: 320, height: 200, title: "Golden", yAxisLabel: "v")).render([
            line("a", [(0, 1), (60, 3), (120, 2)]),
            line("b", [(60, 0.5)]),
        ])
        #expect(svg == Self.golden)
    }

    static let golden = """
    <svg xmlns="http://www.w3.org/2000/svg" width="320" height="216" viewBox="0 0 320 216" role="img" font-family="sans-serif" font-size="12">
    <title>Golden</title>
    <rect width="320" height="216" fill="#ffffff"/>
    <text x="160" y="30" text-anchor="middle" font-size="16" font-weight="bold">Golden</text>
    <g stroke="#e5e5e5" stroke-width="1">
    <line x1="70" y1="128" x2="296" y2="128"/>
    <line x1="70" y1="101.33" x2="296" y2="101.33"/>
    <line x1="70" y1="74.67" x2="296" y2="74.67"/>
    <line x1="70" y1="48" x2="296" y2="48"/>
    <line x1="70" y1="48" x2="70" y2="128"/>
    <line x1="183" y1="48" x2="183" y2="128"/>
    <line x1="296" y1="48" x2="296" y2="128"/>
    </g>
    <g class="y-ticks" fill="#333333" font-size="11">
    <text x="64" y="132" text-anchor="end">0</text>
    <text x="64" y="105.33" text-anchor="end">1</text>
    <text x="64" y="78.67" text-anchor="end">2</text>
    <text x="64" y="52" text-anchor="end">3</text>
    </g>
    <g class="x-ticks" fill="#333333" font-size="11">
    <text x="70" y="144" text-anchor="middle">00:00</text>
    <text x="183" y="144" text-anchor="middle">00:01</text>
    <text x="296" y="144" text-anchor="middle">00:02</text>
    </g>
    <g stroke="#333333" stroke-width="1">
    <line x1="70" y1="48" x2="70" y2="128"/>
    <line x1="70" y1="128" x2="296" y2="128"/>
    </g>
    <text x="183" y="164" text-anchor="middle">Time (UTC)</text>
    <text x="16" y="88" text-anchor="middle" transform="rotate(-90 16 88)">v</text>
    <path d="M70 101.33 L183 48 L296 74.67" fill="none" stroke="#4e79a7" stroke-width="1.5" stroke-linejoin="round"><title>a</title>
    </path>
    <circle cx="183" cy="114.67" r="3" fill="#f28e2b"><title>b</title>
    </circle>
    <line x1="70" y1="180" x2="88" y2="180" stroke="#4e79a7" stroke-width="3"/>
    <text x="94" y="184">a</text>
    <line x1="70" y1="198" x2="88" y2="198" stroke="#f28e2b" stroke-width="3"/>
    <text x="94" y="202">b</text>
    </svg>

    """

    @Test func sameInputSameBytes() {
        var rng = TimeseriesSeededRandom(seed: 8)
        let series = (0..<5).map { k in line("s\(k)", (0..<200).map { (Double($0) * 30, Double.random(in: -5...5, using: &rng)) }) }
        let chart = Chart(configuration: .init(title: "t", maximumPointsPerSeries: 50))
        #expect(chart.render(series) == chart.render(series))
        // Point order in the input does not matter: points are drawn sorted by time.
        let shuffled = series.map { Chart.Series(name: $0.name, points: $0.points.shuffled(using: &rng)) }
        #expect(chart.render(shuffled) == chart.render(series))
    }

    // MARK: Degenerate data

    @Test func emptyChartSaysNoData() throws {
        for input in [[], [line("nan", [(0, .nan), (.infinity, 1)])]] {
            let svg = Chart().render(input)
            let inspection = try #require(Inspection.of(svg))
            #expect(inspection.texts.contains("No data"))
            #expect(!inspection.elements.contains("path"))
        }
        #expect(Chart().render([line("nan", [(0, .nan)])]).contains("nan (no data)"))
    }

    @Test func onePointIsADot() throws {
        let svg = Chart().render([line("solo", [(1_700_000_000, 42)])])
        let inspection = try #require(Inspection.of(svg))
        #expect(inspection.elements.filter { $0 == "circle" }.count == 1)
        #expect(!inspection.elements.contains("path"))
        #expect(inspection.yLabels.contains("42"))
        #expect(!inspection.xLabels.isEmpty)
    }

    @Test func constantSeriesGetsABand() throws {
        let five = try #require(Inspection.of(Chart().render([line("c", [(0, 5), (600, 5)])])))
        #expect(five.yLabels == ["4.4", "4.6", "4.8", "5.0", "5.2", "5.4", "5.6"])
        let zero = try #require(Inspection.of(Chart().render([line("z", [(0, 0), (600, 0)])])))
        #expect(zero.yLabels == ["-1.0", "-0.5", "0", "0.5", "1.0"])
    }

    @Test func nonFiniteValuesAreDroppedWithANote() throws {
        let svg = Chart().render([line("s", [(0, 1), (60, .nan), (120, .infinity), (180, 2), (240, 1e305)])])
        let inspection = try #require(Inspection.of(svg))
        #expect(inspection.texts.contains("Note: 3 non-finite or out-of-range points omitted"))
        #expect(inspection.yLabels.last == "2.0")
    }

    // MARK: Axes

    @Test(arguments: [
        (0.0, 97.0, ["0", "20", "40", "60", "80", "100"]),
        (0.001, 0.0097, ["0", "0.002", "0.004", "0.006", "0.008", "0.010"]),
        (0.0, 25_000.0, ["0", "10k", "20k", "30k"]),
        (-3.0, 7.0, ["-4", "-2", "0", "2", "4", "6", "8"]),
        (1_200_000.0, 1_900_000.0, ["1.2M", "1.4M", "1.6M", "1.8M", "2.0M"]),
        (-0.25, 0.25, ["-0.3", "-0.2", "-0.1", "0", "0.1", "0.2", "0.3"]),
    ])
    func niceValueTicks(_ low: Double, _ high: Double, _ expected: [String]) throws {
        let inspection = try #require(Inspection.of(Chart().render([line("s", [(0, low), (60, high)])])))
        #expect(inspection.yLabels == expected)
    }

    @Test func timeTicksFollowTheSpan() throws {
        func xLabels(_ start: Double, _ end: Double, zone: String = "UTC") throws -> [String] {
            let chart = Chart(configuration: .init(timeZone: TimeseriesTestTime.zone(zone)))
            return try #require(Inspection.of(chart.render([line("s", [(start, 1), (end, 2)])]))).xLabels
        }
        let noon = TimeseriesTestTime.utc("2024-05-01T12:00:00Z").timeIntervalSince1970
        #expect(try xLabels(noon, noon + 3600) == ["12:00", "12:10", "12:20", "12:30", "12:40", "12:50", "13:00"])
        #expect(try xLabels(noon, noon + 90) == ["12:00:00", "12:00:15", "12:00:30", "12:00:45", "12:01:00", "12:01:15", "12:01:30"])
        // Whole local hours in a half-hour zone: 12:00Z is 17:30 in Kolkata.
        #expect(try xLabels(noon, noon + 6 * 3600, zone: "Asia/Kolkata") == ["18:00", "19:00", "20:00", "21:00", "22:00", "23:00"])
        // Over a day: dates with times.
        #expect(try xLabels(noon, noon + 3 * 86_400).first == "05-01 12:00")
        // Over weeks: dates.
        #expect(try xLabels(noon, noon + 60 * 86_400).allSatisfy { $0.count == 10 && $0.hasPrefix("2024-") })
    }

    @Test func aggregatorSeriesAreNamedByLabels() {
        let series = Chart.series(from: [
            TimeBucketAggregator.Series(labels: ["region": "eu", "host": "a"], points: [.init(timestamp: 60, value: 2)]),
            TimeBucketAggregator.Series(labels: [:], points: []),
        ])
        #expect(series.map(\.name) == [#"{host="a",region="eu"}"#, "series"])
        #expect(series.first?.points == [Chart.Point(time: 60, value: 2)])
    }

    // MARK: Limits

    @Test func extraSeriesAreDroppedWithANote() throws {
        let input = (0..<15).map { k in line("s\(k)", [(0, Double(k)), (60, Double(k))]) }
        let inspection = try #require(Inspection.of(Chart(configuration: .init(maximumSeries: 10)).render(input)))
        #expect(inspection.elements.filter { $0 == "path" }.count == 10)
        #expect(inspection.texts.contains("Note: showing 10 of 15 series"))
        #expect(!inspection.texts.contains("s10"))
    }

    @Test func longSeriesAreDownsampledKeepingPeaks() throws {
        var values = (0..<10_000).map { (Double($0), 0.0) }
        values[4321].1 = 1000
        values[7000].1 = -1000
        let svg = Chart(configuration: .init(maximumPointsPerSeries: 200)).render([line("long", values)])
        let inspection = try #require(Inspection.of(svg))
        let path = try #require(svg.split(separator: "\n").first { $0.hasPrefix("<path") })
        #expect(path.components(separatedBy: " L").count <= 200)
        #expect(inspection.yLabels.first == "-1000")
        #expect(inspection.yLabels.last == "1000")
        #expect(inspection.texts.contains("Note: 1 series downsampled to at most 200 points (min/max per bin)"))
    }

    @Test func sizesAreClamped() {
        let svg = Chart(configuration: .init(width: 10, height: 10_000)).render([])
        #expect(svg.hasPrefix(#"<svg xmlns="http://www.w3.org/2000/svg" width="200" height="4000""#))
    }

    @Test func manySeriesCycleColoursWithDashes() throws {
        let input = (0..<12).map { k in line("s\(k)", [(0, Double(k)), (60, Double(k))]) }
        let svg = Chart(configuration: .init(maximumSeries: 12)).render(input)
        let paths = svg.split(separator: "\n").filter { $0.hasPrefix("<path") }
        #expect(paths.count == 12)
        #expect(paths[0].contains("#4e79a7") && !paths[0].contains("dasharray"))
        #expect(paths[10].contains("#4e79a7") && paths[10].contains(#"stroke-dasharray="6 3""#))
        #expect(Set(paths.prefix(10).map { $0.components(separatedBy: "stroke=\"")[1].prefix(7) }).count == 10)
    }
}

extension SVGLineChartTests {
    /// Values whose differences are below Double's precision still give a valid chart.
    @Test func extremeMagnitudesStayFinite() throws {
        for values in [[1e15, 1e15 + 0.5], [1e300, -1e300], [Double.leastNonzeroMagnitude, 2 * Double.leastNonzeroMagnitude], [-1e16, -1e16 + 2]] {
            let svg = Chart().render([line("x", [(0, values[0]), (1e15, values[1])])])
            #expect(Inspection.of(svg) != nil)
            #expect(!svg.lowercased().contains("nan") && !svg.contains("inf"), "\(values)")
        }
    }
}
