import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import OpenStackClient
import OpenStackModels
import TricircleCore
import TricircleGateway

/// `/images` (list, detail, show, delete): Nova's proxy to the Image API, deprecated in 2.36 (404 from
/// then on, as in Nova). Nova asks its Glance; the top asks the top's image service (its own Image
/// front-end, the `image` endpoint of the top region) with the caller's token, so every top image is
/// seen as the caller sees it there.
struct ImageProxyRoutes: APIRoutes {
    let proxy: ComputeImageProxy

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("images", use: list)
        group.get("images/detail", use: detail)
        group.get("images/:image", use: show)
        group.delete("images/:image", use: delete)
    }

    func list(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await listing(request, context, detail: false)
    }

    func detail(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await listing(request, context, detail: true)
    }

    /// Nova's filters (name, status, changes-since, server, type, minRam, minDisk, property-*) applied
    /// to the caller's images, then `marker`/`limit` paging over Glance's order (newest first).
    func listing(_ request: Request, _ context: GatewayRequestContext, detail: Bool) async throws -> Response {
        let call = try await proxy.begin(request, context)
        var images = try await proxy.allImages(call)
        let query = request.uri.queryParameters
        func value(_ key: String) -> String? { query.getAll(key).last.map { String($0) } }
        if let name = value("name") { images = images.filter { $0.name == name } }
        if let status = value("status")?.lowercased() { images = images.filter { $0.status == status } }
        if let text = value("changes-since") {
            guard let since = ComputeImageProxy.date(text) else {
                throw Nova.badRequest("Invalid filter field: changes-since.")
            }
            images = images.filter { ($0.updatedAt.flatMap(ComputeImageProxy.date) ?? .distantPast) >= since }
        }
        if let server = value("server") {
            let id = server.split(separator: "/").last.map(String.init) ?? server
            images = images.filter { $0.properties["instance_uuid"] == id }
        }
        if let type = value("type") { images = images.filter { $0.properties["image_type"] == type } }
        if let text = value("minRam"), let minimum = Int(text) { images = images.filter { ($0.minRAM ?? 0) >= minimum } }
        if let text = value("minDisk"), let minimum = Int(text) { images = images.filter { ($0.minDisk ?? 0) >= minimum } }
        for (key, given) in query where key.hasPrefix("property-") {
            let property = String(key.dropFirst("property-".count))
            images = images.filter { $0.properties[property] == String(given) }
        }
        if let marker = value("marker") {
            guard let index = images.firstIndex(where: { $0.id == marker }) else {
                throw Nova.badRequest("marker [\(marker)] not found")
            }
            images = Array(images[(index + 1)...])
        }
        var body: [String: JSONValue] = [:]
        if let text = value("limit") {
            guard let limit = Int(text), limit >= 0 else { throw Nova.badRequest("limit param must be an integer") }
            if images.count > limit, let last = images.prefix(limit).last {
                body["images_links"] = [["rel": "next", "href": .string(proxy.nextLink(call, detail: detail, marker: last.id))]]
            }
            images = Array(images.prefix(limit))
        }
        body["images"] = .array(images.map { proxy.view($0, call: call, detail: detail) })
        return proxy.json(.object(body), call)
    }

    func show(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try await proxy.begin(request, context)
        let image = try await proxy.image(try context.parameters.require("image"), call)
        return proxy.json(["image": proxy.view(image, call: call, detail: true)], call)
    }

    func delete(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try await proxy.begin(request, context)
        let id = try context.parameters.require("image")
        let response = try await proxy.glance(call, RegionalRequest(method: "DELETE", path: "/v2/images/\(id)"))
        try proxy.check(response)
        var headers = HTTPFields()
        ComputeMicroversions.addHeaders(call.version, to: &headers)
        return Response(status: .noContent, headers: headers)
    }
}

/// The calls the image proxy routes share: the top's image service, Nova's views of Glance images.
struct ComputeImageProxy: Sendable {
    let calls: ComputePodCalls
    let forwarder: PodForwarder

    init(calls: ComputePodCalls) {
        self.calls = calls
        self.forwarder = calls.glance
    }

    struct Call: Sendable {
        let request: Request
        let credentials: ServiceCredentials
        let version: Microversion
        /// The top image service's endpoint (the `alternate` link of an image).
        let glanceBase: String
        var origin: String { PodForwarder.publicOrigin(of: request) ?? "" }
    }

    /// The proxy is gone from 2.36 on (Nova's 404).
    func begin(_ request: Request, _ context: GatewayRequestContext) async throws -> Call {
        let credentials = try context.podCredentials()
        let version = try await calls.microversions.negotiate(request, credentials: credentials)
        guard version < Microversion(2, 36) else { throw Nova.notFound("The resource could not be found.") }
        let top = calls.topRegionName
        let glanceBase = (try? await forwarder.client.resolver.url(region: top, serviceType: "image")) ?? ""
        return Call(request: request, credentials: credentials, version: version, glanceBase: glanceBase)
    }

    /// Sends to the top region's image service with the caller's token.
    func glance(_ call: Call, _ request: RegionalRequest) async throws -> RegionalResponse {
        let top = try await calls.pods.pod(standingFor: calls.topRegionName)
        return try await forwarder.send(request, to: top, credentials: call.credentials)
    }

    /// Nova's wording for the image service's refusals.
    func check(_ response: RegionalResponse) throws {
        guard !response.isSuccess else { return }
        switch response.status {
        case 404: throw Nova.notFound("Image not found.")
        case 403: throw APIError(.forbidden, "You are not allowed to delete the image.", format: .fault)
        case 400..<500: throw APIError(HTTPResponse.Status(code: response.status), "The image service refused the request.", format: .fault)
        default: throw APIError(.serviceUnavailable, "The image service did not answer (HTTP \(response.status)).", format: .fault)
        }
    }

    /// One image, or Nova's 404.
    func image(_ id: String, _ call: Call) async throws -> Image {
        let response = try await glance(call, RegionalRequest.get("/v2/images/\(id)"))
        try check(response)
        guard let image = try? response.decode(Image.self) else { throw Nova.internalError("The image service answered an unreadable image.") }
        return image
    }

    /// Every image the caller can see, page after page (bounded).
    func allImages(_ call: Call) async throws -> [Image] {
        var out: [Image] = []
        var marker: String?
        for _ in 0..<100 {
            let path = "/v2/images?limit=1000" + (marker.map { "&marker=\($0)" } ?? "")
            let response = try await glance(call, RegionalRequest.get(path))
            try check(response)
            guard let page = try? response.decode(ImageList.self) else { throw Nova.internalError("The image service answered an unreadable list.") }
            out += page.images
            guard let next = page.nextMarker, !page.images.isEmpty else { break }
            marker = next
        }
        return out
    }

    /// Nova's image view: the image service's status words mapped to Nova's, properties as metadata,
    /// the snapshot's server when it has one.
    func view(_ image: Image, call: Call, detail: Bool) -> JSONValue {
        let links: JSONValue = [
            ["rel": "self", "href": .string("\(call.origin)/v2.1/images/\(image.id)")],
            ["rel": "bookmark", "href": .string("\(call.origin)/images/\(image.id)")],
            ["rel": "alternate", "type": "application/vnd.openstack.image", "href": .string("\(call.glanceBase)/images/\(image.id)")],
        ]
        var o: [String: JSONValue] = ["id": .string(image.id), "name": image.name.map(JSONValue.string) ?? .null, "links": links]
        guard detail else { return .object(o) }
        let status = image.status ?? ""
        o["status"] = .string(Self.novaStatus[status] ?? "UNKNOWN")
        o["progress"] = .int(Self.progress[status] ?? 0)
        o["minRam"] = .int(image.minRAM ?? 0)
        o["minDisk"] = .int(image.minDisk ?? 0)
        o["created"] = image.createdAt.map { .string(Self.novaTime($0)) } ?? .null
        o["updated"] = image.updatedAt.map { .string(Self.novaTime($0)) } ?? .null
        o["OS-EXT-IMG-SIZE:size"] = image.size.map { .int($0) } ?? .null
        let metadata = image.properties
        o["metadata"] = .object(metadata.mapValues(JSONValue.string))
        if let server = metadata["instance_uuid"] {
            o["server"] = [
                "id": .string(server),
                "links": [
                    ["rel": "self", "href": .string("\(call.origin)/v2.1/servers/\(server)")],
                    ["rel": "bookmark", "href": .string("\(call.origin)/servers/\(server)")],
                ],
            ]
        }
        return .object(o)
    }

    static let novaStatus = [
        "active": "ACTIVE", "queued": "SAVING", "saving": "SAVING", "importing": "SAVING", "uploading": "SAVING",
        "deleted": "DELETED", "pending_delete": "DELETED", "killed": "ERROR",
    ]
    static let progress = ["queued": 25, "saving": 50, "active": 100]

    /// Nova writes image times without fractions: `2011-01-01T01:02:03Z`.
    static func novaTime(_ text: String) -> String {
        guard let date = date(text) else { return text }
        return date.formatted(Date.ISO8601FormatStyle())
    }

    static func date(_ text: String) -> Date? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        for style in [Date.ISO8601FormatStyle(includingFractionalSeconds: true), Date.ISO8601FormatStyle()] {
            if let date = try? style.parse(trimmed) { return date }
        }
        return try? Date.ISO8601FormatStyle().parse(trimmed + "Z")
    }

    func nextLink(_ call: Call, detail: Bool, marker: String) -> String {
        var items = call.request.uri.queryParameters.filter { $0.key != "marker" }.map {
            URLQueryItem(name: String($0.key), value: String($0.value))
        }
        items.append(URLQueryItem(name: "marker", value: marker))
        var components = URLComponents()
        components.queryItems = items
        return "\(call.origin)/v2.1/images\(detail ? "/detail" : "")?\(components.percentEncodedQuery ?? "")"
    }

    func json(_ value: JSONValue, _ call: Call, status: HTTPResponse.Status = .ok) -> Response {
        var headers = HTTPFields()
        ComputeMicroversions.addHeaders(call.version, to: &headers)
        return ComputeJSON.response(value, status: status, headers: headers)
    }
}
