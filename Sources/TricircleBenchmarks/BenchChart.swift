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
