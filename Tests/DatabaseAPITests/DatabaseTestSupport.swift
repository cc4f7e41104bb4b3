import Foundation
import GatewayTestHarness
import NIOCore
import OpenStackModels
import RegionSimulator
import TricircleGateway

/// A project's view of the Database API at the top, plus direct access to the pods' Trove and Glance.
struct DatabaseClient {
    let h: GatewayHarness
    let token: SimulatedToken

    init(_ h: GatewayHarness, user: String = "demo") throws {
        self.h = h
        self.token = try h.token(user: user)
    }

    var base: String { h.url("database", projectID: token.projectID) }

    func send(_ method: String, _ path: String, body: String? = nil) async throws -> HarnessReply {
        try await h.send(method, path.hasPrefix("http") ? path : base + path, token: token.id, body: body)
    }

    /// Creates an instance from the members given (name, flavor 2 and a 1 GB volume unless overridden).
    func create(_ members: [String: JSONValue]) async throws -> HarnessReply {
        var instance: [String: JSONValue] = ["name": "db", "flavorRef": "2", "volume": ["size": 1]]
        instance.merge(members) { _, new in new }
        let body = String(decoding: try JSONEncoder().encode(JSONValue.object(["instance": .object(instance)])), as: UTF8.self)
        return try await send("POST", "/instances", body: body)
    }

    func createdID(_ members: [String: JSONValue]) async throws -> String {
        let reply = try await create(members)
        guard reply.status == 200, let id = reply.json["instance"]?["id"]?.stringValue else {
            throw HarnessError("create failed: \(reply.status) \(reply.text)")
        }
        return id
    }

    /// Waits (the harness settles transitions in 20 ms) until an instance has `status`.
    func waitFor(_ id: String, status: String) async throws {
        for _ in 0..<300 {
            if try await send("GET", "/instances/\(id)").json["instance"]?["status"]?.stringValue == status { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw HarnessError("instance \(id) never became \(status)")
    }

    /// A region's own Trove URL for this project.
    func troveURL(_ region: String) -> String {
        (h.cloud.endpoint(region: region, service: .database) ?? "").replacingOccurrences(of: "$(project_id)s", with: token.projectID)
    }

    /// Asks a region's Trove directly.
    func direct(_ region: String, _ path: String) async throws -> HarnessReply {
        try await h.send("GET", troveURL(region) + path, token: token.id)
    }
}

/// Datastore images in the pods' Glance, made by the admin as an operator would register them.
struct DatastoreImages {
    let h: GatewayHarness

    func admin() throws -> SimulatedToken { try h.token(user: "admin") }

    /// The image id a region's Trove has for a datastore version (admins see it).
    func imageID(region: String, datastore: String = "mysql", version: String = "8.0.21") async throws -> String {
        let token = try admin()
        let url = (h.cloud.endpoint(region: region, service: .database) ?? "").replacingOccurrences(of: "$(project_id)s", with: token.projectID)
        let reply = try await h.send("GET", url + "/datastores/\(datastore)/versions/\(version)", token: token.id)
        guard let id = reply.json["version"]?["image"]?.stringValue else { throw HarnessError("no image for \(version) in \(region): \(reply.text)") }
        return id
    }

    /// Registers an image with `id` and `data` in a region's Glance.
    func register(_ id: String, data: String, region: String, name: String = "trove-mysql") async throws {
        let token = try admin()
        let glance = h.cloud.endpoint(region: region, service: .image) ?? ""
        let body = #"{"id": "\#(id)", "name": "\#(name)", "disk_format": "qcow2", "container_format": "bare", "visibility": "public"}"#
        let created = try await h.send("POST", glance + "/v2/images", token: token.id, body: body)
        guard created.status == 201 else { throw HarnessError("image create in \(region): \(created.status) \(created.text)") }
        let upload = try await h.send("PUT", glance + "/v2/images/\(id)/file", token: token.id, body: data,
                                      headers: [("Content-Type", "application/octet-stream")])
        guard upload.status == 204 else { throw HarnessError("image upload in \(region): \(upload.status) \(upload.text)") }
    }

    /// Images named `name` in a region's Glance.
    func images(region: String, name: String = "trove-mysql") async throws -> [JSONValue] {
        let token = try admin()
        let glance = h.cloud.endpoint(region: region, service: .image) ?? ""
        return try await h.send("GET", glance + "/v2/images?name=\(name)", token: token.id).json["images"]?.arrayValue ?? []
    }

    /// Removes a datastore version from a region's Trove (the mgmt API, as an operator would).
    func removeVersion(region: String, datastore: String = "mysql", version: String = "8.0.21") async throws {
        let token = try admin()
        let url = (h.cloud.endpoint(region: region, service: .database) ?? "").replacingOccurrences(of: "$(project_id)s", with: token.projectID)
        let shown = try await h.send("GET", url + "/datastores/\(datastore)/versions/\(version)", token: token.id)
        guard let id = shown.json["version"]?["id"]?.stringValue else { throw HarnessError("no version \(version) in \(region)") }
        let reply = try await h.send("DELETE", url + "/mgmt/datastore-versions/\(id)", token: token.id)
        guard reply.status == 202 else { throw HarnessError("version delete in \(region): \(reply.status) \(reply.text)") }
    }
}

let mysql8: JSONValue = ["type": "mysql", "version": "8.0.21"]
