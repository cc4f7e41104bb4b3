import Foundation

/// `GET` list parameters as Neutron reads them: filters on any attribute, `fields`, `sort_key`/`sort_dir`,
/// `limit`/`marker`/`page_reverse`, and the tag filters. One reading for the top's Neutron and the
/// simulated one, so both refuse and match the same way.
public struct NeutronListQuery: Sendable {
    public var filters: [(key: String, values: [String])] = []
    public var fields: [String] = []
    public var sort: [(key: String, ascending: Bool)] = []
    public var limit: Int?
    public var marker: String?
    public var pageReverse = false
    public var tagsAll: [String] = []
    public var tagsAny: [String] = []
    public var notTagsAll: [String] = []
    public var notTagsAny: [String] = []

    /// Reads the query's (key, value) pairs in order; a filter on an attribute not in `attributes` or
    /// `extraFilters`, or a sort on one not in `attributes`, is Neutron's 400.
    public init(parameters: [(String, String)], attributes: Set<String>, extraFilters: Set<String> = []) throws {
        var grouped: [String: [String]] = [:]
        var orderedKeys: [String] = []
        for (key, value) in parameters {
            if grouped[key] == nil { orderedKeys.append(key) }
            grouped[key, default: []].append(value)
        }
        func split(_ values: [String]) -> [String] { values.flatMap { $0.split(separator: ",").map(String.init) } }
        for key in orderedKeys {
            let values = grouped[key] ?? []
            switch key {
            case "fields": fields.append(contentsOf: split(values))
            case "sort_key", "sort_dir", "limit", "marker", "page_reverse": continue
            case "tags": tagsAll = split(values)
            case "tags-any": tagsAny = split(values)
            case "not-tags": notTagsAll = split(values)
            case "not-tags-any": notTagsAny = split(values)
            default:
                guard attributes.contains(key) || extraFilters.contains(key) else {
                    throw NeutronError.httpBadRequest("[\(key)] is invalid attribute for filtering")
                }
                filters.append((key, values))
            }
        }
        let sortKeys = grouped["sort_key"] ?? []
        let sortDirs = grouped["sort_dir"] ?? []
        if !sortDirs.isEmpty, sortDirs.count != sortKeys.count {
            throw NeutronError.httpBadRequest("The number of sort_keys and sort_dirs must be same")
        }
        for (index, key) in sortKeys.enumerated() {
            guard attributes.contains(key) else {
                throw NeutronError.httpBadRequest("[\(key)] is invalid attribute for sort_keys")
            }
            let dir = index < sortDirs.count ? sortDirs[index].lowercased() : "asc"
            guard dir == "asc" || dir == "desc" else {
                throw NeutronError.httpBadRequest("[\(dir)] is invalid value for sort_dirs, valid value is 'asc' and 'desc'")
            }
            sort.append((key, dir == "asc"))
        }
        if let text = grouped["limit"]?.last {
            guard let value = Int(text), value >= 0 else {
                throw NeutronError.httpBadRequest("Limit must be an integer 0 or greater and not '\(text)'")
            }
            limit = value == 0 ? nil : value
        }
        marker = grouped["marker"]?.last
        if let text = grouped["page_reverse"]?.last?.lowercased() { pageReverse = text == "true" || text == "1" }
    }

    /// The values of a filter the caller applies itself, removed from `filters`.
    public mutating func take(_ key: String) -> [String]? {
        guard let index = filters.firstIndex(where: { $0.key == key }) else { return nil }
        return filters.remove(at: index).values
    }

    /// True when a resource with `tags` passes the four tag filters.
    public func matchesTags(_ tags: [String]) -> Bool {
        if !tagsAll.isEmpty, !tagsAll.allSatisfy(tags.contains) { return false }
        if !tagsAny.isEmpty, !tagsAny.contains(where: tags.contains) { return false }
        if !notTagsAll.isEmpty, notTagsAll.allSatisfy(tags.contains) { return false }
        if !notTagsAny.isEmpty, notTagsAny.contains(where: tags.contains) { return false }
        return true
    }

    /// True when `value` (a JSON attribute) matches one of the filter strings.
    public static func matches(_ value: JSONValue, _ wanted: [String]) -> Bool {
        wanted.contains { matches(value, $0) }
    }

    /// One filter string against one attribute, with Neutron's readings of booleans and None.
    public static func matches(_ value: JSONValue, _ wanted: String) -> Bool {
        switch value {
        case .string(let s): return s == wanted
        case .bool(let b):
            switch wanted.lowercased() {
            case "true", "1", "t", "yes", "y", "on": return b
            case "false", "0", "f", "no", "n", "off": return !b
            default: return false
            }
        case .number(let d): return Double(wanted) == d
        case .null: return wanted.isEmpty || wanted == "None" || wanted == "null"
        case .array(let items): return items.contains { matches($0, wanted) }
        case .object(let object):
            // fixed_ips=ip_address=10.0.0.5 style filters compare one member.
            let parts = wanted.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { return false }
            return object[parts[0]]?.stringValue == parts[1]
        }
    }

    /// `fixed_ips=ip_address=..`, `subnet_id=..`, `ip_address_substr=..` as Neutron applies them: values of
    /// one kind are alternatives, kinds combine, and one allocation must satisfy all kinds.
    public static func matchesFixedIPs(_ allocations: [JSONValue], _ values: [String]) -> Bool {
        var wanted: [String: [String]] = [:]
        for value in values {
            let parts = value.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { return false }
            wanted[parts[0], default: []].append(parts[1])
        }
        return allocations.contains { allocation in
            wanted.allSatisfy { kind, options in
                if kind == "ip_address_substr" {
                    guard let address = allocation["ip_address"]?.stringValue else { return false }
                    return options.contains { address.contains($0) }
                }
                return options.contains { allocation[kind]?.stringValue == $0 }
            }
        }
    }

    /// Ordering of attribute values: null first, then booleans, numbers, strings.
    public static func less(_ a: JSONValue, _ b: JSONValue) -> Bool {
        func rank(_ v: JSONValue) -> Int {
            switch v {
            case .null: 0
            case .bool: 1
            case .number: 2
            case .string: 3
            case .array: 4
            case .object: 5
            }
        }
        switch (a, b) {
        case (.bool(let x), .bool(let y)): return !x && y
        case (.number(let x), .number(let y)): return x < y
        case (.string(let x), .string(let y)): return x < y
        default: return rank(a) < rank(b)
        }
    }

    /// A next/previous link: the request's own query (`parameters`) with `marker` (and `page_reverse`) replaced.
    public static func pageHref(origin: String, path: String, parameters: [(String, String)], marker: String, reverse: Bool) -> String {
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&=+#")
        var parts: [String] = []
        for (key, value) in parameters where key != "marker" && key != "page_reverse" {
            parts.append("\(key)=\(value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value)")
        }
        parts.append("marker=\(marker)")
        if reverse { parts.append("page_reverse=True") }
        return origin + path + "?" + parts.joined(separator: "&")
    }
}
