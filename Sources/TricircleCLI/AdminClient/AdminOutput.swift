import Foundation
import OpenStackModels

/// Prints admin API answers as the `openstack` CLI does: bordered tables, or the JSON itself with `-f json`.
enum AdminOutput {
    /// A list: one row per item, the given columns (API keys) with their headings.
    static func printList(_ items: [JSONValue], columns: [(key: String, heading: String)], format: OutputFormat) {
        switch format {
        case .json:
            print(json(.array(items)))
        case .table:
            let rows = items.map { item in columns.map { cell(item[$0.key]) } }
            print(table(headings: columns.map(\.heading), rows: rows), terminator: "")
        }
    }

    /// One object: a Field/Value table, keys in `order` first, then any others alphabetically.
    static func printObject(_ object: JSONValue, order: [String] = [], format: OutputFormat) {
        switch format {
        case .json:
            print(json(object))
        case .table:
            let members = object.objectValue ?? [:]
            let keys = order.filter { members[$0] != nil } + members.keys.filter { !order.contains($0) }.sorted()
            print(table(headings: ["Field", "Value"], rows: keys.map { [$0, cell(members[$0])] }), terminator: "")
        }
    }

    /// Pretty JSON with sorted keys.
    static func json(_ value: JSONValue) -> String {
        // Foundation pretty-prints empty containers over three lines.
        if value == .array([]) { return "[]" }
        if value == .object([:]) { return "{}" }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else { return "null" }
        return String(decoding: data, as: UTF8.self)
    }

    /// How a value reads in a table cell: strings bare, null empty, containers as compact JSON.
    static func cell(_ value: JSONValue?) -> String {
        switch value {
        case .none, .some(.null): return ""
        case .some(.string(let s)): return s
        case .some(.bool(let b)): return b ? "True" : "False"
        case .some(.number): return value?.intValue.map(String.init) ?? value?.doubleValue.map { "\($0)" } ?? ""
        case .some(let other):
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            return (try? encoder.encode(other)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        }
    }

    /// A `+---+---+` bordered table; an empty list still prints its headings.
    static func table(headings: [String], rows: [[String]]) -> String {
        let clean = rows.map { $0.map { $0.replacingOccurrences(of: "\n", with: " ") } }
        let widths = headings.indices.map { column in
            ([headings[column]] + clean.map { column < $0.count ? $0[column] : "" }).map(\.count).max() ?? 0
        }
        let border = "+" + widths.map { String(repeating: "-", count: $0 + 2) }.joined(separator: "+") + "+\n"
        func line(_ cells: [String]) -> String {
            "| " + widths.indices.map { i in
                let text = i < cells.count ? cells[i] : ""
                return text + String(repeating: " ", count: widths[i] - text.count)
            }.joined(separator: " | ") + " |\n"
        }
        return border + line(headings) + border + clean.map(line).joined() + border
    }
}
