import Foundation

/// Renders time series as a standalone SVG line chart: title, axes with rounded ("nice")
/// value ticks and time-of-day or date ticks, axis labels, grid, legend and notes.
///
/// The output is meant to be shown in a browser, so every piece of caller-supplied text
/// (title, axis labels, series names) is XML-escaped and stripped of characters XML cannot
/// hold; nothing the caller passes becomes markup, an attribute name, a URL or a style.
/// The same input always gives the same bytes: no randomness, clocks or generated ids.
///
/// Non-finite values are left out (and counted in a note). Series beyond
/// ``Configuration/maximumSeries`` are dropped and series longer than
/// ``Configuration/maximumPointsPerSeries`` are downsampled by keeping each bin's lowest and
/// highest point, so spikes survive; both are stated in a note under the chart.
public struct SVGLineChart: Sendable {
    /// One data point: a Unix time in seconds and a value.
    public struct Point: Sendable, Hashable {
        /// Unix seconds.
        public var time: Double
        /// The value.
        public var value: Double

        /// A point.
        public init(time: Double, value: Double) {
            self.time = time
            self.value = value
        }
    }

    /// A named line.
    public struct Series: Sendable, Hashable {
        /// The legend text.
        public var name: String
        /// The points, in any order (they are drawn sorted by time).
        public var points: [Point]

        /// A series.
        public init(name: String, points: [Point]) {
            self.name = name
            self.points = points
        }
    }

    /// Size, text and limits; each default is stated on its property.
    public struct Configuration: Sendable, Hashable {
        /// Width in pixels, clamped to 200 ... 4,000. Default 800.
        public var width: Int
        /// Height in pixels, clamped to 150 ... 4,000; grows if the legend needs room.
        /// Default 400.
        public var height: Int
        /// Title above the chart; none when empty. Default empty.
        public var title: String
        /// X axis label; the time zone's identifier is appended. Default `Time`.
        public var xAxisLabel: String
        /// Y axis label; none when empty. Default empty.
        public var yAxisLabel: String
        /// Zone the time ticks are labelled in. Default UTC.
        public var timeZone: TimeZone
        /// Most series drawn, clamped to 1 ... 40. Default 10.
        public var maximumSeries: Int
        /// Most points drawn per series, clamped to 4 ... 20,000. Default 1,000.
        public var maximumPointsPerSeries: Int
        /// Longest title, label or series name in characters before it is cut with `…`.
        /// Default 80.
        public var maximumTextLength: Int

        /// - Parameters:
        ///   - width: pixels (default 800).
        ///   - height: pixels (default 400).
        ///   - title: chart title (default none).
        ///   - xAxisLabel: x axis label (default `Time`).
        ///   - yAxisLabel: y axis label (default none).
        ///   - timeZone: zone for time labels (default UTC).
        ///   - maximumSeries: most series drawn (default 10).
        ///   - maximumPointsPerSeries: most points per series (default 1,000).
        ///   - maximumTextLength: longest text in characters (default 80).
        public init(
            width: Int = 800, height: Int = 400, title: String = "", xAxisLabel: String = "Time", yAxisLabel: String = "",
            timeZone: TimeZone = TimeZone(secondsFromGMT: 0) ?? .current, maximumSeries: Int = 10,
            maximumPointsPerSeries: Int = 1000, maximumTextLength: Int = 80
        ) {
            self.width = width
            self.height = height
            self.title = title
            self.xAxisLabel = xAxisLabel
            self.yAxisLabel = yAxisLabel
            self.timeZone = timeZone
            self.maximumSeries = maximumSeries
            self.maximumPointsPerSeries = maximumPointsPerSeries
            self.maximumTextLength = maximumTextLength
        }
    }

    /// The configuration in force.
    public let configuration: Configuration

    /// A chart renderer.
    public init(configuration: Configuration = .init()) {
        self.configuration = configuration
    }

    /// Line colours, chosen to stay distinguishable from each other (Tableau 10). Past ten
    /// series the colours repeat with a dash pattern.
    static let palette = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"]
    static let dashes = ["", "6 3", "2 3", "8 3 2 3"]
    /// Values beyond this magnitude are dropped with the non-finite ones: the span between
    /// two of them would overflow.
    static let largestValue = 1e300

    /// Series from aggregator output, named by their labels (`{host="a",region="eu"}`).
    public static func series(from aggregated: [TimeBucketAggregator.Series]) -> [Series] {
        aggregated.map { s in
            let labels = s.labels.sorted { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) }
            let name = labels.isEmpty ? "series" : "{" + labels.map { "\($0.key)=\"\($0.value)\"" }.joined(separator: ",") + "}"
            return Series(name: name, points: s.points.map { Point(time: Double($0.timestamp), value: $0.value) })
        }
    }

    /// The chart as an SVG document.
    public func render(_ input: [Series]) -> String {
        let c = configuration
        let width = min(max(c.width, 200), 4000)
        let maxSeries = min(max(c.maximumSeries, 1), 40)
        let maxPoints = min(max(c.maximumPointsPerSeries, 4), 20_000)
        let textLimit = min(max(c.maximumTextLength, 8), 500)

        // Prepare data: filter, sort, downsample.
        var notes: [String] = []
        if input.count > maxSeries { notes.append("showing \(maxSeries) of \(input.count) series") }
        var dropped = 0
        var downsampled = 0
        var prepared: [(name: String, points: [Point])] = []
        for s in input.prefix(maxSeries) {
            let finite = s.points.filter {
                $0.time.isFinite && $0.value.isFinite && abs($0.value) <= Self.largestValue && abs($0.time) <= 1e15
            }
            dropped += s.points.count - finite.count
            var points = finite.enumerated().sorted { ($0.element.time, $0.offset) < ($1.element.time, $1.offset) }.map(\.element)
            if points.count > maxPoints {
                points = Self.downsample(points, to: maxPoints)
                downsampled += 1
            }
            prepared.append((s.name, points))
        }
        if dropped > 0 { notes.append("\(dropped) non-finite or out-of-range point\(dropped == 1 ? "" : "s") omitted") }
        if downsampled > 0 { notes.append("\(downsampled) series downsampled to at most \(maxPoints) points (min/max per bin)") }

        // Layout.
        let all = prepared.flatMap(\.points)
        let yScale = all.isEmpty ? nil : Self.valueTicks(min: all.map(\.value).min() ?? 0, max: all.map(\.value).max() ?? 0)
        let yLabels = yScale.map { scale in scale.ticks.map { Self.formatTick($0, step: scale.step, unitOf: scale) } } ?? []
        let longestY = yLabels.map(\.count).max() ?? 1
        let title = Self.clip(c.title, textLimit)
        let yAxisLabel = Self.clip(c.yAxisLabel, textLimit)
        let left = max(48, 16 + longestY * 7) + (yAxisLabel.isEmpty ? 0 : 22)
        let right = 24
        let top = title.isEmpty ? 20 : 48
        let plotWidth = width - left - right
        let legendColumns = max(1, plotWidth / 220)
        let legendRows = (prepared.count + legendColumns - 1) / legendColumns
        let bottom = 52 + legendRows * 18 + (notes.isEmpty ? 0 : 20)
        let height = max(min(max(c.height, 150), 4000), top + 80 + bottom)
        let plotHeight = height - top - bottom

        var svg = SVGBuilder()
        svg.raw("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\"")
        svg.raw(" role=\"img\" font-family=\"sans-serif\" font-size=\"12\">\n")
        svg.element("title", text: title.isEmpty ? "Line chart" : title)
        svg.raw("<rect width=\"\(width)\" height=\"\(height)\" fill=\"#ffffff\"/>\n")
        if !title.isEmpty {
            svg.element("text", ["x": SVGBuilder.number(Double(width) / 2), "y": "30", "text-anchor": "middle", "font-size": "16", "font-weight": "bold"], text: title)
        }

        // X ticks from the data's time range.
        let times = all.map(\.time)
        var xMin = times.min() ?? 0
        var xMax = times.max() ?? 0
        if xMin == xMax {
            xMin -= 60
            xMax += 60
        }
        let zone = CronZone(c.timeZone)
        let xTicks = all.isEmpty ? [] : Self.timeTicks(from: xMin, to: xMax, target: max(2, min(10, plotWidth / 110)), zone: zone)
        let yMin = yScale?.ticks.first ?? 0
        let yMax = yScale?.ticks.last ?? 1
        // Spans can still round to zero for values near the limits of Double precision.
        let xSpan = xMax > xMin ? xMax - xMin : 1
        let ySpan = yMax > yMin ? yMax - yMin : 1
        func px(_ t: Double) -> Double { Double(left) + (t - xMin) / xSpan * Double(plotWidth) }
        func py(_ v: Double) -> Double { Double(top + plotHeight) - (v - yMin) / ySpan * Double(plotHeight) }

        // Grid and tick labels.
        svg.raw("<g stroke=\"#e5e5e5\" stroke-width=\"1\">\n")
        for v in yScale?.ticks ?? [] {
            let y = SVGBuilder.number(py(v))
            svg.raw("<line x1=\"\(left)\" y1=\"\(y)\" x2=\"\(left + plotWidth)\" y2=\"\(y)\"/>\n")
        }
        for tick in xTicks {
            let x = SVGBuilder.number(px(tick.time))
            svg.raw("<line x1=\"\(x)\" y1=\"\(top)\" x2=\"\(x)\" y2=\"\(top + plotHeight)\"/>\n")
        }
        // Classes name the tick groups for embedders' CSS (and for tests).
        svg.raw("</g>\n<g class=\"y-ticks\" fill=\"#333333\" font-size=\"11\">\n")
        for (v, label) in zip(yScale?.ticks ?? [], yLabels) {
            svg.element("text", ["x": String(left - 6), "y": SVGBuilder.number(py(v) + 4), "text-anchor": "end"], text: label)
        }
        svg.raw("</g>\n<g class=\"x-ticks\" fill=\"#333333\" font-size=\"11\">\n")
        for tick in xTicks {
            // Labels at the edges are anchored inwards so they are not cut off by the canvas.
            let x = px(tick.time)
            let halfWidth = Double(tick.label.count) * 3.1
            let anchor = x - halfWidth < 2 ? "start" : x + halfWidth > Double(width - 2) ? "end" : "middle"
            svg.element("text", ["x": SVGBuilder.number(x), "y": String(top + plotHeight + 16), "text-anchor": anchor], text: tick.label)
        }
        svg.raw("</g>\n")
        // Axes.
        svg.raw("<g stroke=\"#333333\" stroke-width=\"1\">\n")
        svg.raw("<line x1=\"\(left)\" y1=\"\(top)\" x2=\"\(left)\" y2=\"\(top + plotHeight)\"/>\n")
        svg.raw("<line x1=\"\(left)\" y1=\"\(top + plotHeight)\" x2=\"\(left + plotWidth)\" y2=\"\(top + plotHeight)\"/>\n")
        svg.raw("</g>\n")
        let zoneName = c.timeZone.identifier == "GMT" ? "UTC" : c.timeZone.identifier
        let xAxisLabel = Self.clip(c.xAxisLabel.isEmpty ? "" : "\(c.xAxisLabel) (\(zoneName))", textLimit)
        if !xAxisLabel.isEmpty {
            svg.element("text", ["x": SVGBuilder.number(Double(left) + Double(plotWidth) / 2), "y": String(top + plotHeight + 36), "text-anchor": "middle"], text: xAxisLabel)
        }
        if !yAxisLabel.isEmpty {
            let cy = SVGBuilder.number(Double(top) + Double(plotHeight) / 2)
            svg.element("text", ["x": "16", "y": cy, "text-anchor": "middle", "transform": "rotate(-90 16 \(cy))"], text: yAxisLabel)
        }

        if all.isEmpty {
            svg.element("text", [
                "x": SVGBuilder.number(Double(left) + Double(plotWidth) / 2), "y": SVGBuilder.number(Double(top) + Double(plotHeight) / 2),
                "text-anchor": "middle", "fill": "#777777",
            ], text: "No data")
        }

        // Lines.
        for (index, series) in prepared.enumerated() where !series.points.isEmpty {
            let style = Self.style(index)
            let name = Self.clip(series.name, textLimit)
            if series.points.count == 1, let p = series.points.first {
                svg.raw("<circle cx=\"\(SVGBuilder.number(px(p.time)))\" cy=\"\(SVGBuilder.number(py(p.value)))\" r=\"3\" fill=\"\(style.color)\">")
            } else {
                var d = ""
                for (i, p) in series.points.enumerated() {
                    d += (i == 0 ? "M" : " L") + SVGBuilder.number(px(p.time)) + " " + SVGBuilder.number(py(p.value))
                }
                let dash = style.dash.isEmpty ? "" : " stroke-dasharray=\"\(style.dash)\""
                svg.raw("<path d=\"\(d)\" fill=\"none\" stroke=\"\(style.color)\" stroke-width=\"1.5\" stroke-linejoin=\"round\"\(dash)>")
            }
            svg.element("title", text: name)
            svg.raw(series.points.count == 1 ? "</circle>\n" : "</path>\n")
        }

        // Legend: a grid of swatch + name under the axis label.
        let columnWidth = plotWidth / legendColumns
        let legendNameLimit = max(4, (columnWidth - 28) / 7)
        for (index, series) in prepared.enumerated() {
            let style = Self.style(index)
            let x = left + (index % legendColumns) * columnWidth
            let y = top + plotHeight + 56 + (index / legendColumns) * 18
            let dash = style.dash.isEmpty ? "" : " stroke-dasharray=\"\(style.dash)\""
            svg.raw("<line x1=\"\(x)\" y1=\"\(y - 4)\" x2=\"\(x + 18)\" y2=\"\(y - 4)\" stroke=\"\(style.color)\" stroke-width=\"3\"\(dash)/>\n")
            let label = Self.clip(series.name, min(textLimit, legendNameLimit)) + (series.points.isEmpty ? " (no data)" : "")
            svg.element("text", ["x": String(x + 24), "y": String(y)], text: label)
        }
        if !notes.isEmpty {
            let y = top + plotHeight + 56 + legendRows * 18 + 6
            svg.element("text", ["x": String(left), "y": String(y), "font-size": "10", "fill": "#777777"], text: "Note: " + notes.joined(separator: "; "))
        }
        svg.raw("</svg>\n")
        return svg.text
    }

    static func style(_ index: Int) -> (color: String, dash: String) {
        (palette[index % palette.count], dashes[(index / palette.count) % dashes.count])
    }

    /// `text` cut to `limit` characters with a trailing ellipsis.
    static func clip(_ text: String, _ limit: Int) -> String {
        text.count > limit ? String(text.prefix(max(1, limit - 1))) + "…" : text
    }

    /// Keeps each bin's lowest and highest point (in time order) so peaks stay visible.
    static func downsample(_ points: [Point], to maximum: Int) -> [Point] {
        let bins = maximum / 2
        var result: [Point] = []
        result.reserveCapacity(maximum)
        for bin in 0..<bins {
            let start = bin * points.count / bins
            let end = (bin + 1) * points.count / bins
            guard start < end else { continue }
            var low = start
            var high = start
            for i in start..<end {
                if points[i].value < points[low].value { low = i }
                if points[i].value > points[high].value { high = i }
            }
            if low == high {
                result.append(points[low])
            } else {
                result.append(points[min(low, high)])
                result.append(points[max(low, high)])
            }
        }
        return result
    }
}
