import Foundation
import OpenStackModels

/// Marker paging for list commands: one page, or every page when asked.
enum AdminPages {
    static func collect(
        _ client: AdminHTTPClient, path: String, query: [(String, String)], key: String, all: Bool
    ) async throws -> (rows: [JSONValue], next: String?) {
        var reply = try await client.get(path, query: query)
        var rows = reply[key]?.arrayValue ?? []
        var next = Link.next(in: try? reply["\(key)_links"]?.decode([Link].self))?.href
        while all, let href = next {
            reply = try await client.get(absolute: href)
            rows += reply[key]?.arrayValue ?? []
            next = Link.next(in: try? reply["\(key)_links"]?.decode([Link].self))?.href
        }
        return (rows, next)
    }

    /// Tells a person at a terminal how to get the next page (on stderr, so `-f json` output stays clean).
    static func noteNext(_ next: String?, format: OutputFormat) {
        guard let next, let marker = paginationMarker(fromNextHref: next) else { return }
        FileHandle.standardError.write(Data("More rows: repeat with --marker \(marker) (or --all).\n".utf8))
    }
}

/// Path segments from user input, percent-encoded so an id cannot change the path.
enum AdminPath {
    static func escape(_ segment: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "/?#%")
        return segment.addingPercentEncoding(withAllowedCharacters: allowed) ?? segment
    }
}
