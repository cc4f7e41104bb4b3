import Foundation

/// Id helpers shared by every layer.
public enum Identifier {
    /// A new random UUID string, lowercase as OpenStack writes ids.
    public static func make() -> String { UUID().uuidString.lowercased() }

    /// Whether `text` is a UUID in any of the spellings OpenStack accepts (with or without dashes).
    public static func isUUIDLike(_ text: String) -> Bool {
        let hex = text.replacingOccurrences(of: "-", with: "")
        guard hex.count == 32 else { return false }
        return hex.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) || ($0 >= 65 && $0 <= 70) }
    }
}
