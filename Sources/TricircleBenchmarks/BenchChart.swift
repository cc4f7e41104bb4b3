import Foundation

/// One measured target of the routed-GET benchmark, as a CSV row (`label` tells runs apart: "before", "after x").
struct RoutedResult: Sendable {
    var label: String
    var target: String
    var rate: Double
    var p50: Double
    var p90: Double
    var p99: Double

    static let header = "label,target,req_per_s,p50_ms,p90_ms,p99_ms"

    var csv: String {
        [Self.quoted(label), Self.quoted(target), String(format: "%.0f", rate),
         String(format: "%.3f", p50), String(format: "%.3f", p90), String(format: "%.3f", p99)].joined(separator: ",")
    }

    /// Appends `results` to the CSV file at `csv` (header first when new) and, with `svg`, draws every run the
    /// file holds there.
    static func record(_ results: [RoutedResult], csv: String, svg: String?, title: String) throws {
        let existing = (try? String(contentsOfFile: csv, encoding: .utf8)) ?? ""
        var text = existing.isEmpty ? header + "\n" : existing
        if !text.hasSuffix("\n") { text += "\n" }
        for result in results { text += result.csv + "\n" }
        try text.write(toFile: csv, atomically: true, encoding: .utf8)
        if let svg {
            try BenchChart.routedGetSVG(read(csv: text), title: title).write(toFile: svg, atomically: true, encoding: .utf8)
        }
    }

    /// Reads the rows a previous run wrote (malformed lines are skipped: the file is the bench's own).
    static func read(csv text: String) -> [RoutedResult] {
        text.split(separator: "\n").dropFirst().compactMap { line in
            let fields = splitCSV(String(line))
            guard fields.count == 6, let rate = Double(fields[2]), let p50 = Double(fields[3]),
                  let p90 = Double(fields[4]), let p99 = Double(fields[5]) else { return nil }
            return RoutedResult(label: fields[0], target: fields[1], rate: rate, p50: p50, p90: p90, p99: p99)
        }
    }

    static func quoted(_ text: String) -> String {
        text.contains(",") || text.contains("\"") ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
    }

    static func splitCSV(_ line: String) -> [String] {
        var fields: [String] = [], current = "", quoted = false
        var characters = line.makeIterator()
        while let c = characters.next() {
            if quoted {
                if c == "\"" { quoted = false } else { current.append(c) }
            } else if c == "\"" {
                quoted = true
            } else if c == "," {
                fields.append(current)
                current = ""
            } else {
                current.append(c)
            }
        }
        fields.append(current)
        return fields
    }
}

/// One measured call type at one added latency of the WAN benchmark, as a CSV row (`label` tells runs apart).
struct WANResult: Sendable {
    var label: String
    var addedMs: Int
    var call: String
    var p50: Double
    var p99: Double
    var roundTrips: Double

    static let header = "label,added_ms,call,p50_ms,p99_ms,db_round_trips"

    var csv: String {
        [RoutedResult.quoted(label), "\(addedMs)", RoutedResult.quoted(call), String(format: "%.3f", p50),
         String(format: "%.3f", p99), String(format: "%.1f", roundTrips)].joined(separator: ",")
    }

    /// Reads the rows a previous run wrote (malformed lines are skipped: the file is the bench's own).
    static func read(csv text: String) -> [WANResult] {
        text.split(separator: "\n").dropFirst().compactMap { line in
            let fields = RoutedResult.splitCSV(String(line))
            guard fields.count == 6, let added = Int(fields[1]), let p50 = Double(fields[3]), let p99 = Double(fields[4]),
                  let trips = Double(fields[5]) else { return nil }
            return WANResult(label: fields[0], addedMs: added, call: fields[2], p50: p50, p99: p99, roundTrips: trips)
        }
    }
}

/// A self-contained SVG of routed-GET results: throughput per target on the left, p50 and p99 on the right,
/// one bar per run label within each target (no plotting library needed to read the benchmark's output).
enum BenchChart {
    static let palette = ["#9aa5b1", "#3066be", "#2a9d8f", "#e76f51", "#8e5ea2", "#f4a261"]

    static func routedGetSVG(_ rows: [RoutedResult], title: String) -> String {
        var labels: [String] = [], targets: [String] = []
        for row in rows {
            if !labels.contains(row.label) { labels.append(row.label) }
            if !targets.contains(row.target) { targets.append(row.target) }
        }
        let barHeight = 12.0, gap = 10.0, labelWidth = 200.0, panelWidth = 300.0
        let groupHeight = Double(labels.count) * barHeight + gap
        let top = 50.0 + Double((labels.count + 2) / 3) * 16
        let height = top + Double(targets.count) * groupHeight * 2 + 40
        let width = labelWidth + panelWidth * 2 + 120
        let maxRate = max(1, rows.map(\.rate).max() ?? 1)
        let maxLatency = max(0.001, rows.map(\.p99).max() ?? 1)
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" font-family="sans-serif" font-size="11">
            <text x="10" y="18" font-size="14" font-weight="bold">\(escape(title))</text>

            """
        for (index, label) in labels.enumerated() {
            let x = 10.0 + Double(index % 3) * 260, y = 30.0 + Double(index / 3) * 16
            svg += "<rect x=\"\(x)\" y=\"\(y)\" width=\"10\" height=\"10\" fill=\"\(color(index))\"/>"
            svg += "<text x=\"\(x + 14)\" y=\"\(y + 9)\">\(escape(label))</text>\n"
        }
        let leftX = labelWidth, rightX = labelWidth + panelWidth + 60
        svg += "<text x=\"\(leftX)\" y=\"\(top - 4)\" font-weight=\"bold\">requests/s (wrk)</text>\n"
        svg += "<text x=\"\(rightX)\" y=\"\(top - 4)\" font-weight=\"bold\">latency ms: p50 (solid) and p99 (light)</text>\n"
        for (t, target) in targets.enumerated() {
            let groupTop = top + Double(t) * groupHeight * 2
            svg += "<text x=\"\(leftX - 6)\" y=\"\(groupTop + groupHeight / 2 + 4)\" text-anchor=\"end\">\(escape(target))</text>\n"
            for (l, label) in labels.enumerated() {
                guard let row = rows.last(where: { $0.target == target && $0.label == label }) else { continue }
                let y = groupTop + Double(l) * barHeight
                let rateWidth = row.rate / maxRate * panelWidth
                svg += bar(x: leftX, y: y, width: rateWidth, height: barHeight - 2, fill: color(l), text: String(format: "%.0f", row.rate))
                let p99Width = row.p99 / maxLatency * panelWidth, p50Width = row.p50 / maxLatency * panelWidth
                svg += "<rect x=\"\(rightX)\" y=\"\(y)\" width=\"\(fmt(p99Width))\" height=\"\(barHeight - 2)\" fill=\"\(color(l))\" fill-opacity=\"0.35\"/>\n"
                svg += bar(x: rightX, y: y, width: p50Width, height: barHeight - 2, fill: color(l),
                           text: String(format: "%.1f / %.1f", row.p50, row.p99), textX: rightX + max(p50Width, p99Width))
            }
        }
        svg += "</svg>\n"
        return svg
    }

    /// p50 per call type (one colour each) against the latency added each way, on a log scale (a create takes
    /// seconds where a cached GET takes milliseconds); the last run label drawn solid, earlier ones dashed, each
    /// point marked with its round trips per call.
    static func latencyLinesSVG(_ rows: [WANResult], title: String) -> String {
        var labels: [String] = [], calls: [String] = []
        for row in rows {
            if !labels.contains(row.label) { labels.append(row.label) }
            if !calls.contains(row.call) { calls.append(row.call) }
        }
        let left = 70.0, top = 50.0 + Double(calls.count + labels.count) * 16, plotWidth = 520.0, plotHeight = 340.0
        let width = left + plotWidth + 230, height = top + plotHeight + 50
        let maxAdded = Double(max(1, rows.map(\.addedMs).max() ?? 1))
        let low = floor(log10(max(0.1, rows.map(\.p50).min() ?? 1))), high = ceil(log10(max(1, rows.map(\.p50).max() ?? 10)))
        func x(_ added: Int) -> Double { left + Double(added) / maxAdded * plotWidth }
        func y(_ ms: Double) -> Double { top + plotHeight - (log10(max(ms, 0.1)) - low) / max(1, high - low) * plotHeight }
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" font-family="sans-serif" font-size="11">
            <text x="10" y="18" font-size="14" font-weight="bold">\(escape(title))</text>

            """
        for (index, call) in calls.enumerated() {
            let ly = 30.0 + Double(index) * 16
            svg += "<rect x=\"10\" y=\"\(fmt(ly))\" width=\"10\" height=\"10\" fill=\"\(color(index + 1))\"/>"
            svg += "<text x=\"24\" y=\"\(fmt(ly + 9))\">\(escape(call))</text>\n"
        }
        for (index, label) in labels.enumerated() {
            let ly = 30.0 + Double(calls.count + index) * 16
            let dash = index == labels.count - 1 ? "" : " stroke-dasharray=\"5,4\""
            svg += "<line x1=\"10\" y1=\"\(fmt(ly + 5))\" x2=\"30\" y2=\"\(fmt(ly + 5))\" stroke=\"#333\" stroke-width=\"2\"\(dash)/>"
            svg += "<text x=\"36\" y=\"\(fmt(ly + 9))\">run: \(escape(label))</text>\n"
        }
        // Axes: decades of milliseconds up the side, each added latency along the bottom.
        for decade in stride(from: low, through: high, by: 1) {
            let ms = pow(10, decade), gy = y(ms)
            svg += "<line x1=\"\(fmt(left))\" y1=\"\(fmt(gy))\" x2=\"\(fmt(left + plotWidth))\" y2=\"\(fmt(gy))\" stroke=\"#ddd\"/>"
            svg += "<text x=\"\(fmt(left - 6))\" y=\"\(fmt(gy + 4))\" text-anchor=\"end\">\(ms >= 1 ? String(format: "%.0f", ms) : String(format: "%.1f", ms)) ms</text>\n"
        }
        for added in Set(rows.map(\.addedMs)).sorted() {
            svg += "<line x1=\"\(fmt(x(added)))\" y1=\"\(fmt(top))\" x2=\"\(fmt(x(added)))\" y2=\"\(fmt(top + plotHeight))\" stroke=\"#eee\"/>"
            svg += "<text x=\"\(fmt(x(added)))\" y=\"\(fmt(top + plotHeight + 16))\" text-anchor=\"middle\">+\(added) ms</text>\n"
        }
        svg += "<text x=\"\(fmt(left + plotWidth / 2))\" y=\"\(fmt(top + plotHeight + 34))\" text-anchor=\"middle\">latency added each way, gateway to database</text>\n"
        svg += "<text x=\"14\" y=\"\(fmt(top + plotHeight / 2))\" transform=\"rotate(-90 14 \(fmt(top + plotHeight / 2)))\" text-anchor=\"middle\">p50 ms (log scale)</text>\n"
        for (l, label) in labels.enumerated() {
            let dash = l == labels.count - 1 ? "" : " stroke-dasharray=\"5,4\""
            for (c, call) in calls.enumerated() {
                let points = rows.filter { $0.label == label && $0.call == call }.sorted { $0.addedMs < $1.addedMs }
                guard !points.isEmpty else { continue }
                let path = points.map { "\(fmt(x($0.addedMs))),\(fmt(y($0.p50)))" }.joined(separator: " ")
                svg += "<polyline points=\"\(path)\" fill=\"none\" stroke=\"\(color(c + 1))\" stroke-width=\"2\"\(dash)/>\n"
                for point in points {
                    svg += "<circle cx=\"\(fmt(x(point.addedMs)))\" cy=\"\(fmt(y(point.p50)))\" r=\"3\" fill=\"\(color(c + 1))\"/>"
                }
                if let last = points.last {
                    let text = String(format: "%.0f ms, %.0f round trips", last.p50, last.roundTrips)
                    svg += "<text x=\"\(fmt(x(last.addedMs) + 8))\" y=\"\(fmt(y(last.p50) + 4))\">\(escape(label)): \(escape(text))</text>\n"
                }
            }
        }
        svg += "</svg>\n"
        return svg
    }

    /// One line of `linesSVG`.
    struct Series: Sendable {
        var name: String
        var points: [(Double, Double)]
    }

    /// Lines of (x, y) points on linear axes (x on a log scale with `logX`: servers from 10^4 to 10^6), each
    /// point labelled with its value: latency against pods, memory against servers.
    static func linesSVG(_ series: [Series], title: String, xLabel: String, yLabel: String, logX: Bool = false) -> String {
        let left = 70.0, top = 40.0 + Double(series.count) * 16, plotWidth = 560.0, plotHeight = 320.0
        let width = left + plotWidth + 120, height = top + plotHeight + 50
        let xs = series.flatMap { $0.points.map(\.0) }, ys = series.flatMap { $0.points.map(\.1) }
        let xMin = logX ? floor(log10(max(1, xs.min() ?? 1))) : 0
        let xMax = logX ? ceil(log10(max(10, xs.max() ?? 10))) : max(1, xs.max() ?? 1)
        let yMax = niceCeiling(max(1, ys.max() ?? 1) * 1.1)
        func x(_ value: Double) -> Double {
            logX ? left + (log10(max(1, value)) - xMin) / max(1, xMax - xMin) * plotWidth : left + value / xMax * plotWidth
        }
        func y(_ value: Double) -> Double { top + plotHeight - value / yMax * plotHeight }
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" font-family="sans-serif" font-size="11">
            <rect width="100%" height="100%" fill="white"/>
            <text x="10" y="18" font-size="14" font-weight="bold">\(escape(title))</text>

            """
        for (index, line) in series.enumerated() {
            let ly = 28.0 + Double(index) * 16
            svg += "<rect x=\"10\" y=\"\(fmt(ly))\" width=\"10\" height=\"10\" fill=\"\(color(index + 1))\"/>"
            svg += "<text x=\"24\" y=\"\(fmt(ly + 9))\">\(escape(line.name))</text>\n"
        }
        for step in 0...5 {
            let value = yMax * Double(step) / 5, gy = y(value)
            svg += "<line x1=\"\(fmt(left))\" y1=\"\(fmt(gy))\" x2=\"\(fmt(left + plotWidth))\" y2=\"\(fmt(gy))\" stroke=\"#ddd\"/>"
            svg += "<text x=\"\(fmt(left - 6))\" y=\"\(fmt(gy + 4))\" text-anchor=\"end\">\(String(format: "%.0f", value))</text>\n"
        }
        for value in Set(xs).sorted() {
            svg += "<line x1=\"\(fmt(x(value)))\" y1=\"\(fmt(top))\" x2=\"\(fmt(x(value)))\" y2=\"\(fmt(top + plotHeight))\" stroke=\"#eee\"/>"
            svg += "<text x=\"\(fmt(x(value)))\" y=\"\(fmt(top + plotHeight + 16))\" text-anchor=\"middle\">\(String(format: "%.0f", value))</text>\n"
        }
        svg += "<text x=\"\(fmt(left + plotWidth / 2))\" y=\"\(fmt(top + plotHeight + 34))\" text-anchor=\"middle\">\(escape(xLabel))</text>\n"
        svg += "<text x=\"14\" y=\"\(fmt(top + plotHeight / 2))\" transform=\"rotate(-90 14 \(fmt(top + plotHeight / 2)))\" text-anchor=\"middle\">\(escape(yLabel))</text>\n"
        for (index, line) in series.enumerated() where !line.points.isEmpty {
            let path = line.points.map { "\(fmt(x($0.0))),\(fmt(y($0.1)))" }.joined(separator: " ")
            svg += "<polyline points=\"\(path)\" fill=\"none\" stroke=\"\(color(index + 1))\" stroke-width=\"2\"/>\n"
            for point in line.points {
                svg += "<circle cx=\"\(fmt(x(point.0)))\" cy=\"\(fmt(y(point.1)))\" r=\"3\" fill=\"\(color(index + 1))\"/>"
                svg += "<text x=\"\(fmt(x(point.0) + 6))\" y=\"\(fmt(y(point.1) - 4))\">\(String(format: "%.1f", point.1))</text>\n"
            }
        }
        svg += "</svg>\n"
        return svg
    }

    /// 1, 2 or 5 times a power of ten at or above `value` (round axis ends).
    static func niceCeiling(_ value: Double) -> Double {
        let power = pow(10, floor(log10(value)))
        for factor in [1.0, 2.0, 5.0, 10.0] where factor * power >= value { return factor * power }
        return 10 * power
    }

    static func bar(x: Double, y: Double, width: Double, height: Double, fill: String, text: String, textX: Double? = nil) -> String {
        "<rect x=\"\(fmt(x))\" y=\"\(fmt(y))\" width=\"\(fmt(width))\" height=\"\(fmt(height))\" fill=\"\(fill)\"/>"
            + "<text x=\"\(fmt((textX ?? (x + width)) + 4))\" y=\"\(fmt(y + height - 1))\">\(escape(text))</text>\n"
    }

    static func color(_ index: Int) -> String { palette[index % palette.count] }
    static func fmt(_ value: Double) -> String { String(format: "%.1f", value) }
    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
