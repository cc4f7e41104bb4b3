import Foundation
import Hummingbird

/// Next links for marker paging: the same path and filters, with `marker` set to the last row of this page.
enum AdminPaging {
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
