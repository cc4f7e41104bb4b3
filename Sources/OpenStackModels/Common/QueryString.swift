import Foundation

/// A URL query read as the OpenStack services (WebOb) read it: `&`-separated pairs, `+` as a space, and
/// keys as well as values percent-decoded (clients send `router%3Aexternal=True`).
public enum QueryString {
    /// The pairs in order, each with the text it came from (`raw`, encoding kept as sent).
    public static func pairs(_ query: String?) -> [(raw: String, key: String, value: String)] {
        guard let query, !query.isEmpty else { return [] }
        return query.split(separator: "&").compactMap { part in
            let pieces = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let first = pieces.first, !first.isEmpty else { return nil }
            return (String(part), decode(first), pieces.count > 1 ? decode(pieces[1]) : "")
        }
    }

    /// The decoded (key, value) pairs in order.
    public static func decoded(_ query: String?) -> [(String, String)] {
        pairs(query).map { ($0.key, $0.value) }
    }

    static func decode(_ text: Substring) -> String {
        let spaced = String(text).replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }
}
