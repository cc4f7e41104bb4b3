import Foundation

/// Glance's `created_at`/`updated_at` list filters (`gte:2049-01-01T00:00:00Z`): an operator among gt, gte,
/// lt, lte, eq, neq (none: eq) and an ISO 8601 time, read as `split_filter_op` and `parse_isotime` do.
public struct ImageTimeFilter: Sendable, Hashable {
    public var key: String
    public var op: String
    public var threshold: Date

    /// The operators Glance's `evaluate_filter_op` knows.
    public static let operators: Set<String> = ["gt", "gte", "lt", "lte", "eq", "neq"]

    /// Reads `expression`; throws Glance's 400 wording (`message`) for a bad time or operator.
    public init(key: String, expression: String) throws(ImageFilterError) {
        self.key = key
        var op = "eq"
        var time = expression
        // A bare time has colons too: only when the whole does not parse is the part before ':' an operator.
        if let colon = expression.firstIndex(of: ":"), Self.parse(expression) == nil {
            op = String(expression[..<colon])
            time = String(expression[expression.index(after: colon)...])
        }
        guard let threshold = Self.parse(time) else {
            throw ImageFilterError(message: "Bad \"\(key)\" query filter format. Use ISO 8601 DateTime notation.")
        }
        guard Self.operators.contains(op) else { throw ImageFilterError(message: "Unable to filter on a unknown operator.") }
        self.op = op
        self.threshold = threshold
    }

    /// Whether a resource's time passes the filter (compared to the second, as Glance stores them).
    public func matches(_ date: Date) -> Bool {
        let value = date.timeIntervalSince1970.rounded(.down)
        let limit = threshold.timeIntervalSince1970.rounded(.down)
        switch op {
        case "gt": return value > limit
        case "gte": return value >= limit
        case "lt": return value < limit
        case "lte": return value <= limit
        case "neq": return value != limit
        default: return value == limit
        }
    }

    /// ISO 8601 as `iso8601.parse_date` reads it: a date, or a date and time, with or without fractions
    /// and zone (none: UTC).
    public static func parse(_ text: String) -> Date? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard trimmed.count >= 10 else { return nil }
        let candidates = trimmed.count == 10 ? [trimmed + "T00:00:00Z"] : [trimmed, trimmed + "Z"]
        for candidate in candidates {
            for style in [Date.ISO8601FormatStyle(includingFractionalSeconds: true), Date.ISO8601FormatStyle()] {
                if let date = try? style.parse(candidate) { return date }
            }
        }
        return nil
    }
}

/// A list filter Glance refuses with 400, in its words.
public struct ImageFilterError: Error, Sendable, Hashable {
    public var message: String
    public init(message: String) { self.message = message }
}
