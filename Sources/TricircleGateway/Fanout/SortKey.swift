import OpenStackModels

/// One key of a list's sort order (`sort_key`/`sort_dir`).
public struct SortKey: Sendable, Hashable {
    public var field: String
    public var ascending: Bool

    public init(_ field: String, ascending: Bool) {
        self.field = field
        self.ascending = ascending
    }

    /// Nova's and Cinder's default order: newest first, ties by id.
    public static let newestFirst = [SortKey("created_at", ascending: false), SortKey("id", ascending: false)]

    /// Makes the order total by ending it with `id` in the direction of the first key, as every pod must
    /// sort the same way for a merge to be exact.
    public static func total(_ keys: [SortKey]) -> [SortKey] {
        if keys.contains(where: { $0.field == "id" }) { return keys }
        return keys + [SortKey("id", ascending: keys.first?.ascending ?? false)]
    }

    /// Orders two JSON values: null first, then booleans, numbers, strings; arrays and objects by their text.
    public static func compare(_ a: JSONValue?, _ b: JSONValue?) -> Int {
        func rank(_ v: JSONValue?) -> Int {
            switch v {
            case .none, .some(.null): return 0
            case .some(.bool): return 1
            case .some(.number): return 2
            case .some(.string): return 3
            case .some(.array), .some(.object): return 4
            }
        }
        let ra = rank(a), rb = rank(b)
        if ra != rb { return ra < rb ? -1 : 1 }
        switch (a, b) {
        case (.some(.bool(let x)), .some(.bool(let y))): return x == y ? 0 : (!x ? -1 : 1)
        case (.some(.number(let x)), .some(.number(let y))): return x == y ? 0 : (x < y ? -1 : 1)
        case (.some(.string(let x)), .some(.string(let y))): return x == y ? 0 : (x < y ? -1 : 1)
        case (.some(let x), .some(let y)):
            let sx = String(decoding: x.encoded(), as: UTF8.self), sy = String(decoding: y.encoded(), as: UTF8.self)
            return sx == sy ? 0 : (sx < sy ? -1 : 1)
        default: return 0
        }
    }
}
