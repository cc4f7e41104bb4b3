import Foundation
import Hummingbird
import NIOCore
import OpenStackClient
import OpenStackModels
import Synchronization
import TricircleGateway

/// Glance's version documents at `/`, `/versions` and `/v2`: the versions the home Glance offers (read
/// from it once, then kept), with links to the gateway so clients' version discovery stays here.
final class ImageVersions: Sendable {
    private let home: HomeImageService
    /// (id, status) pairs, newest first, once the home Glance answered.
    private let cached = Mutex<[(id: String, status: String)]?>(nil)

    /// Used when the home Glance cannot be asked: the v2 minor versions every supported Glance has.
    static let fallback: [(id: String, status: String)] =
        [("v2.9", "CURRENT")] + stride(from: 8, through: 0, by: -1).map { ("v2.\($0)", "SUPPORTED") }

    init(home: HomeImageService) { self.home = home }

    /// The document with `status` (Glance answers `/` and `/v2` with 300, `/versions` with 200).
    func document(_ request: Request, status: HTTPResponse.Status) async -> Response {
        let versions = await load()
        let origin = PodForwarder.publicOrigin(of: request) ?? ""
        let list: [JSONValue] = versions.map { version in
            ["id": .string(version.id), "status": .string(version.status),
             "links": [["rel": "self", "href": .string(origin + "/v2/")]]]
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        let data = (try? encoder.encode(JSONValue.object(["versions": .array(list)]))) ?? Data("{\"versions\": []}".utf8)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(data: data)))
    }

    private func load() async -> [(id: String, status: String)] {
        if let hit = cached.withLock({ $0 }) { return hit }
        // Briefly: version discovery must not hang on a slow home Glance (the fallback answers instead).
        var request = RegionalRequest.get("/versions")
        request.timeout = .seconds(2)
        guard let credentials = try? await home.serviceCredentials(),
              let answer = try? await home.send(request, credentials: credentials),
              answer.isSuccess || answer.status == 300,
              let body = try? answer.decode(JSONValue.self),
              let items = body["versions"]?.arrayValue
        else { return Self.fallback }
        let versions = items.compactMap { item -> (id: String, status: String)? in
            guard let id = item["id"]?.stringValue, id.hasPrefix("v2") else { return nil }
            return (id, item["status"]?.stringValue ?? "SUPPORTED")
        }
        guard !versions.isEmpty else { return Self.fallback }
        cached.withLock { $0 = versions }
        return versions
    }
}
