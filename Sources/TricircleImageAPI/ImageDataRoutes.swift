import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTP1
import OpenStackClient
import TricircleGateway

/// `PUT /v2/images/{id}/file` (and `/stage`) and `GET /v2/images/{id}/file`: image data streamed between
/// the client and the home Glance chunk by chunk, with backpressure both ways, never whole in memory.
/// Registered on a group without the kit's body reader: the body is streamed, not read whole.
struct ImageDataRoutes: APIRoutes {
    let home: HomeImageService

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.put("images/:id/file", use: upload)
        group.put("images/:id/stage", use: upload)
        group.get("images/:id/file", use: download)
    }

    /// Response headers of a download passed on to the client.
    static let downloadHeaders = ["content-type", "content-length", "content-md5", "content-range", "accept-ranges", "etag"]

    /// Streams the client's request body to the home Glance.
    func upload(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let credentials = try context.podCredentials()
        let length: HTTPClientRequest.Body.Length = request.headers[.contentLength].flatMap { Int64($0) }.map { .known($0) } ?? .unknown
        var headers: [(String, String)] = [("Content-Type", request.headers[.contentType] ?? "application/octet-stream")]
        // Glance words its errors in JSON only for clients that ask for it, so the client's Accept goes along.
        if let accept = request.headers[.accept] { headers.append(("Accept", accept)) }
        for name in ImageRelay.passedHeaders where name != .contentType {
            if let value = request.headers[name] { headers.append((name.rawName, value)) }
        }
        let declared = request.headers[.contentLength].flatMap { Int64($0) }
        let upload = SingleUseBody(request.body, declaredLength: declared)
        do {
            let (response, url) = try await home.stream(
                method: .PUT, path: request.uri.path, headers: headers, body: .stream(upload, length: length), credentials: credentials)
            return try await Self.relaySmall(response, url: url, request: request)
        } catch where upload.clientFailed {
            // The client cut its upload short: its fault, not the home region's (Glance answers 400 too).
            throw APIError(.badRequest, "The image data upload ended before all of its data arrived.", format: .glance)
        }
    }

    /// Streams the image's data from the home Glance to the client.
    func download(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let credentials = try context.podCredentials()
        var headers: [(String, String)] = []
        for name in ["Accept", "Range", "Content-Range"] {
            if let field = HTTPField.Name(name), let value = request.headers[field] { headers.append((name, value)) }
        }
        let (response, url) = try await home.stream(method: .GET, path: request.uri.path, headers: headers, credentials: credentials)
        guard response.status == .ok || response.status == .partialContent else {
            return try await Self.relaySmall(response, url: url, request: request)
        }
        var fields = HTTPFields()
        for header in response.headers where Self.downloadHeaders.contains(header.name.lowercased()) {
            if let name = HTTPField.Name(header.name) { fields.append(HTTPField(name: name, value: header.value)) }
        }
        let contentLength = response.headers.first(name: "Content-Length").flatMap(Int.init)
        let source = response.body
        let body = ResponseBody(contentLength: contentLength) { writer in
            // Each chunk is written before the next is read: a slow client slows the Glance read down.
            for try await chunk in source {
                try await writer.write(chunk)
            }
            try await writer.finish(nil)
        }
        return Response(status: HTTPResponse.Status(code: Int(response.status.code)), headers: fields, body: body)
    }

    /// A non-data answer (an error, 204): read whole (bounded) and relayed like any JSON answer.
    static func relaySmall(_ response: HTTPClientResponse, url: String, request: Request) async throws -> Response {
        let body: ByteBuffer
        do {
            body = try await response.body.collect(upTo: 1 << 20)
        } catch {
            throw APIError(.badGateway, "The home image service sent an unreadable answer.", format: .glance)
        }
        let regional = RegionalResponse(
            url: url, status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) }, body: body)
        return PodForwarder.relay(regional, publicOrigin: PodForwarder.publicOrigin(of: request), format: .glance)
    }
}
