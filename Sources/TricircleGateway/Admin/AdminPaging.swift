import Foundation
import Hummingbird
import OpenStackModels

/// Marker paging for the admin lists: one page and its next link.
enum AdminPaging {
    /// Reads `limit + 1` rows through `fetch` (one extra tells whether a next page exists, without an
    /// empty last page) and answers the page as `{"<collection>": [...], "<collection>_links": [...]}`, its
    /// `next` link's marker being the page's last id.
    static func list<Row: AdminRow>(
        _ request: Request, base: String?, collection: String, limit: Int, id: (Row) -> String,
        fetch: (Int) async throws -> [Row]
    ) async throws -> Response {
        let rows = try await fetch(limit + 1)
        let page = Array(rows.prefix(limit))
        var links: [Link] = []
        if rows.count > limit, let last = page.last {
            links = [Link(rel: "next", href: nextHref(request, base: base, marker: id(last)))]
        }
        return AdminJSON.response(AdminPage(collection: collection, rows: page, links: links))
    }

    /// The same path and filters, with `marker` set to `marker`.
    static func nextHref(_ request: Request, base: String?, marker: String) -> String {
        var components = URLComponents()
        components.path = request.uri.path
        var items = request.uri.queryParameters
            .filter { $0.key != "marker" }
            .map { URLQueryItem(name: String($0.key), value: String($0.value)) }
        items.append(URLQueryItem(name: "marker", value: marker))
        components.queryItems = items
        let relative = components.string ?? request.uri.path
        return origin(request, base: base) + relative
    }

    /// Where clients reach this API: the configured public URL, else the scheme and host the request came to.
    static func origin(_ request: Request, base: String?) -> String {
        if let base, !base.isEmpty { return base.hasSuffix("/") ? String(base.dropLast()) : base }
        let host = request.head.authority ?? "127.0.0.1:\(AdminAPI.defaultPort)"
        return "\(request.head.scheme ?? "http")://\(host)"
    }
}
