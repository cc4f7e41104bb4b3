import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import OpenStackClient
import TricircleGateway

/// Relays one client call to the home Glance with the caller's token and hands its answer back, links
/// pointing at the gateway: the top Image API serves the same paths as Glance (catalog path ""), so the
/// client's path and query go through unchanged.
struct ImageRelay: Sendable {
    let home: HomeImageService

    /// Headers a Glance call depends on besides the body's type.
    static let passedHeaders: [HTTPField.Name] = [
        "Content-Type", "If-Match", "If-None-Match", "X-Image-Meta-Checksum", "X-Openstack-Append",
        "X-Image-Meta-Store", "X-Openstack-Stores",
    ].compactMap { HTTPField.Name($0) }

    /// Sends the request (with its JSON body, if any) and relays the answer.
    func relay(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let answer = try await send(request, context: context)
        return PodForwarder.relay(answer, publicOrigin: PodForwarder.publicOrigin(of: request), format: .glance)
    }

    /// Sends the request to the home Glance and returns its answer whatever the status.
    func send(_ request: Request, context: GatewayRequestContext) async throws -> RegionalResponse {
        var headers: [(String, String)] = []
        for name in Self.passedHeaders {
            if let value = request.headers[name] { headers.append((name.rawName, value)) }
        }
        var outgoing = RegionalRequest(
            method: request.method.rawValue, path: request.uri.path + PodForwarder.query(of: request), headers: headers)
        if request.method == .post || request.method == .patch || request.method == .put {
            let body = try await request.bufferedBody(format: .glance)
            if body.readableBytes > 0 {
                outgoing.body = .bytes(body, contentType: request.headers[.contentType] ?? "application/json")
            }
        }
        return try await home.send(outgoing, credentials: try context.podCredentials())
    }
}
