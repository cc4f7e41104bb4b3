import AsyncHTTPClient
import Foundation
import NIOCore
import OpenStackClient
import OpenStackModels
import RegionSimulator
import TricircleCore

extension SandboxCommand {
    /// Registers every datastore version's guest image (the id RegionOne's Trove names) in the home
    /// Glance, as an operator registers Trove's images, so database creates pass the top's image checks:
    /// the other regions get a verified copy on their first create there.
    func seedDatastoreImages(cloud: SimulatedCloud, http: HTTPClient) async throws -> Int {
        guard let trove = cloud.endpoint(region: Self.imageHomeRegion, service: .database),
              let glance = cloud.endpoint(region: Self.imageHomeRegion, service: .image) else { return 0 }
        let keystone = KeystoneClient(
            configuration: KeystoneClientConfiguration(authURL: cloud.identityURL, username: "admin", password: "secret", projectName: "admin"),
            httpClient: http)
        let token = try await keystone.serviceToken().id
        func call(_ method: String, _ url: String, body: ByteBuffer? = nil, contentType: String = "application/json") async throws -> (Int, JSONValue) {
            var request = HTTPClientRequest(url: url)
            request.method = .init(rawValue: method)
            request.headers.add(name: "X-Auth-Token", value: token)
            if let body {
                request.headers.add(name: "Content-Type", value: contentType)
                request.body = .bytes(body)
            }
            let response = try await http.execute(request, timeout: .seconds(10))
            let data = try await response.body.collect(upTo: 4 << 20)
            return (Int(response.status.code), (try? JSONDecoder().decode(JSONValue.self, from: Data(buffer: data))) ?? .null)
        }
        var count = 0
        let (_, list) = try await call("GET", trove + "/datastores")
        for store in list["datastores"]?.arrayValue ?? [] {
            guard let name = store["name"]?.stringValue else { continue }
            for version in store["versions"]?.arrayValue ?? [] {
                guard let versionID = version["id"]?.stringValue, let versionName = version["name"]?.stringValue else { continue }
                let (_, shown) = try await call("GET", trove + "/datastores/\(name)/versions/\(versionID)")
                guard let imageID = shown["version"]?["image"]?.stringValue else { continue }
                let create = #"{"id": "\#(imageID)", "name": "trove-\#(name)-\#(versionName)", "disk_format": "qcow2", "container_format": "bare", "visibility": "public"}"#
                let (status, _) = try await call("POST", glance + "/v2/images", body: ByteBuffer(string: create))
                guard status < 300 else { continue }
                let data = ByteBuffer(string: String(repeating: "\(name) \(versionName) guest image\n", count: 512))
                let (uploaded, _) = try await call("PUT", glance + "/v2/images/\(imageID)/file", body: data, contentType: "application/octet-stream")
                if uploaded < 300 { count += 1 }
            }
        }
        return count
    }
}
