import AsyncHTTPClient
import Foundation
import GatewayTestHarness
import HTTPTypes
import Hummingbird
import NIOCore
import OpenStackModels
import RegionSimulator
import Testing
import TricircleCore
import TricircleStore
import TricircleTestSupport
@testable import TricircleDatabaseAPI

/// A top cluster's members are told apart by what the top knows of each (the name it gave the item, then
/// the member's id), never by where a region lists them: a real Trove lists a cluster's instances unordered.
@Suite struct ClusterMemberMatchingTests {
    static let mariadb: JSONValue = ["type": "mariadb", "version": "10.4"]

    /// Members with distinct volumes, three in RegionOne and one in RegionTwo, all unnamed.
    static let members: [JSONValue] = [
        ["flavorRef": "2", "volume": ["size": 1], "region_name": "RegionOne"],
        ["flavorRef": "2", "volume": ["size": 2], "region_name": "RegionOne"],
        ["flavorRef": "2", "volume": ["size": 3], "region_name": "RegionOne"],
        ["flavorRef": "2", "volume": ["size": 4], "region_name": "RegionTwo"],
    ]

    static func volumesInUse(_ db: DatabaseClient) async throws -> Int? {
        let rows = try await db.send("GET", "/mgmt/quotas/\(db.token.projectID)").json["quotas"]?.arrayValue ?? []
        return rows.first { $0["resource"] == "volumes" }?["in_use"]?.intValue
    }

    static func waitIdle(_ db: DatabaseClient, _ id: String) async throws -> JSONValue {
        for _ in 0..<300 {
            let shown = try await db.send("GET", "/clusters/\(id)")
            if shown.json["cluster"]?["task"]?["name"]?.stringValue == "NONE" { return shown.json }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw HarnessError("cluster \(id) never became idle")
    }

    @Test func membersAreMatchedByNameAndIdWhenARegionListsThemInAnotherOrder() async throws {
        try await GatewayHarness.with { h in
            try await ReversingTroveProxy.with(in: "RegionOne", of: h) {
                let images = DatastoreImages(h: h)
                let imageID = try await images.imageID(region: "RegionOne", datastore: "mariadb", version: "10.4")
                try await images.register(imageID, data: "the mariadb guest image", region: "RegionOne", name: "trove-mariadb")
                let db = try DatabaseClient(h)
                let body: JSONValue = ["cluster": ["name": "products", "datastore": Self.mariadb, "instances": .array(Self.members)]]
                let reply = try await db.send("POST", "/clusters", body: String(decoding: try JSONEncoder().encode(body), as: UTF8.self))
                #expect(reply.status == 200, "\(reply.text)")
                let id = try #require(reply.json["cluster"]?["id"]?.stringValue)
                let shown = try await Self.waitIdle(db, id)["cluster"]?["instances"]?.arrayValue ?? []

                // The top named every member once over the whole cluster, in request order.
                let names = shown.compactMap { $0["name"]?.stringValue }
                #expect(names.sorted() == ["products-member-1", "products-member-2", "products-member-3", "products-member-4"])
                // Each member it shows is the region's own instance of that id, in the region it says, under the
                // same name; the volume tells which item it was made for (item n has n GiB, named member-n).
                var idOfSize: [Int: String] = [:]
                for member in shown {
                    let memberID = try #require(member["id"]?.stringValue)
                    let region = try #require(member["region"]?.stringValue)
                    let there = try #require(try await db.direct(region, "/instances/\(memberID)").json["instance"])
                    #expect(there["name"] == member["name"])
                    let size = try #require(there["volume"]?["size"]?.intValue)
                    #expect(region == (size < 4 ? "RegionOne" : "RegionTwo"))
                    #expect(member["name"]?.stringValue == "products-member-\(size)")
                    idOfSize[size] = memberID
                }
                #expect(idOfSize.count == 4)
                // The test double did reorder: the top got RegionOne's members newest first.
                let inOne = shown.filter { $0["region"]?.stringValue == "RegionOne" }.compactMap { $0["id"]?.stringValue }
                #expect(inOne == [3, 2, 1].compactMap { idOfSize[$0] })

                // Each member holds its own volume: shrinking the 3 GiB member (listed first by RegionOne, made
                // last) gives back its 3 GiB, whatever the order.
                #expect(try await Self.volumesInUse(db) == 10)
                let third = try #require(idOfSize[3])
                let shrink = try await db.send("POST", "/clusters/\(id)", body: #"{"shrink": [{"id": "\#(third)"}]}"#)
                #expect(shrink.status == 202, "\(shrink.text)")
                #expect(try await Self.volumesInUse(db) == 7)
                let left = try await Self.waitIdle(db, id)["cluster"]?["instances"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
                #expect(!left.contains(third) && left.count == 3)
                #expect(try await db.direct("RegionOne", "/instances/\(third)").status == 404)

                // A grow into RegionOne names its item with the lowest number no member has; it holds its own volume.
                let grow = try await db.send("POST", "/clusters/\(id)", body: #"{"grow": [{"flavorRef": "2", "volume": {"size": 5}, "region_name": "RegionOne"}]}"#)
                #expect(grow.status == 202, "\(grow.text)")
                let grown = try await Self.waitIdle(db, id)["cluster"]?["instances"]?.arrayValue ?? []
                let added = try #require(grown.first { !left.contains($0["id"]?.stringValue ?? "") })
                #expect(added["name"]?.stringValue == "products-member-3")
                #expect(added["region"]?.stringValue == "RegionOne")
                #expect(try await Self.volumesInUse(db) == 12)
            }
        }
    }

    @Test func matchingPairsMembersWithItemsByNameNotPosition() {
        let items: [[String: JSONValue]] = [["name": "a"], ["name": "b"], ["name": "b"]]
        let made = [
            DatabaseClusterMember(id: "3", name: "b"), DatabaseClusterMember(id: "9", name: "stranger"),
            DatabaseClusterMember(id: "1", name: "a"), DatabaseClusterMember(id: "2", name: "b"),
        ]
        let pairs = ClusterParts.match(made, to: items)
        #expect(pairs.map(\.id) == ["3", "1", "2"])
        #expect(pairs.map(\.item) == [1, 0, 2])
        // A member gone from the region's answer leaves its item unpaired, not the next member on its item.
        #expect(ClusterParts.match([DatabaseClusterMember(id: "2", name: "b")], to: [["name": "a"], ["name": "b"]]).map(\.item) == [1])
        // Unnamed items get the lowest free numbers over the whole cluster; named ones keep their names.
        let named = ClusterParts.named([["flavorRef": "2"], ["name": "c-member-2"], ["flavorRef": "2"]], cluster: "c", taken: ["c-member-1"])
        #expect(named.compactMap { $0["name"]?.stringValue } == ["c-member-3", "c-member-2", "c-member-4"])
    }
}

/// A test double in front of one region's Trove: every request passes through unchanged, and every
/// cluster in an answer lists its members in reverse order, as a real Trove may (it lists a cluster's
/// instances with no order). The region's catalog entry points at it; `DatabaseClient.direct` still asks
/// the simulated Trove itself.
enum ReversingTroveProxy {
    static func with<T: Sendable>(in region: String, of h: GatewayHarness, _ body: @Sendable () async throws -> T) async throws -> T {
        let endpoint = h.cloud.endpoint(region: region, service: .database) ?? ""
        guard let components = URLComponents(string: endpoint), let host = components.host, let port = components.port else {
            throw HarnessError("no database endpoint in \(region)")
        }
        let origin = "http://\(host):\(port)"
        let http = h.http
        let router = Router()
        for method in [HTTPRequest.Method.get, .post, .put, .patch, .delete] {
            router.on("**", method: method) { request, _ -> Response in
                var outgoing = HTTPClientRequest(url: origin + request.uri.description)
                outgoing.method = .init(rawValue: request.method.rawValue)
                for field in request.headers where field.name != .contentLength {
                    outgoing.headers.add(name: field.name.rawName, value: field.value)
                }
                let sent = try await request.body.collect(upTo: 1 << 20)
                if sent.readableBytes > 0 { outgoing.body = .bytes(sent) }
                let answer = try await http.execute(outgoing, timeout: .seconds(30))
                var bytes = try await answer.body.collect(upTo: 1 << 22)
                if let json = try? bytes.withUnsafeReadableBytes({ try JSONValue(bytes: $0) }) {
                    bytes = ByteBuffer(bytes: reversed(json).encodedBytes())
                }
                var headers = HTTPFields()
                for field in answer.headers where !["content-length", "transfer-encoding", "connection"].contains(field.name.lowercased()) {
                    if let name = HTTPField.Name(field.name) { headers.append(HTTPField(name: name, value: field.value)) }
                }
                return Response(status: .init(code: Int(answer.status.code)), headers: headers, body: .init(byteBuffer: bytes))
            }
        }
        return try await withLoopbackApplication(router: router) { proxyPort in
            // Before the gateway first reads the catalog: the region's Trove is reached through the double.
            let path = String(endpoint.dropFirst(origin.count))
            for interface in ["public", "internal", "admin"] {
                h.cloud.identity.setEndpoint(
                    region: region, serviceType: "database", serviceName: "trove", interface: interface,
                    url: "http://127.0.0.1:\(proxyPort)" + path)
            }
            return try await body()
        }
    }

    /// An answer with every cluster's members reversed.
    static func reversed(_ answer: JSONValue) -> JSONValue {
        func flip(_ cluster: JSONValue) -> JSONValue {
            guard var object = cluster.objectValue, let members = object["instances"]?.arrayValue else { return cluster }
            object["instances"] = .array(members.reversed())
            return .object(object)
        }
        guard var object = answer.objectValue else { return answer }
        if let cluster = object["cluster"] { object["cluster"] = flip(cluster) }
        if let clusters = object["clusters"]?.arrayValue { object["clusters"] = .array(clusters.map(flip)) }
        return .object(object)
    }
}
