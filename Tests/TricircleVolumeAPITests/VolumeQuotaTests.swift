import Foundation
import GatewayTestHarness
import OpenStackModels
import Testing
import TricircleCore
import TricircleStore
import TricircleTestSupport

/// One Block Storage quota per project over all regions, enforced at the top, exactly, by several gateways.
@Suite("Block Storage quotas over all regions")
struct VolumeQuotaTests {
    /// The project's volumes in every region, asked of the regions themselves.
    static func volumesInRegions(_ harness: GatewayHarness, _ client: VolumeClient) async throws -> [JSONValue] {
        var out: [JSONValue] = []
        for (region, _) in GatewayHarness.bottomRegions {
            guard let endpoint = harness.cloud.endpoint(region: region, service: .volume) else { throw HarnessError("no volume in \(region)") }
            let reply = try await harness.send("GET", endpoint + "/volumes/detail", token: client.token.id)
            out += reply.json["volumes"]?.arrayValue ?? []
        }
        return out
    }

    /// 20 creates at once, alternating gateways and AZs.
    static func createConcurrently(_ clients: [VolumeClient], size: Int) async throws -> [HarnessReply] {
        try await withThrowingTaskGroup(of: HarnessReply.self) { group in
            for i in 0..<20 {
                let client = clients[i % 2]
                let zone = (i / 2) % 2 == 0 ? "az1" : "az2"
                group.addTask {
                    try await client.send("POST", "/volumes", ["volume": ["name": .string("v\(i)"), "size": .int(size), "availability_zone": .string(zone)]])
                }
            }
            var out: [HarnessReply] = []
            for try await reply in group { out.append(reply) }
            return out
        }
    }

    @Test("volumes=5, then gigabytes: 20 concurrent creates over az1 and az2 through two gateways make exactly what fits; the rest get Cinder's 413",
          arguments: TestDatabases.backends)
    func concurrentCreatesThroughTwoGateways(backend: StoreBackend) async throws {
        try await GatewayHarness.with(backend: backend) { first in
            let admin = try VolumeClient(first, user: "admin")
            let demo = try VolumeClient(first)
            let project = demo.token.projectID
            #expect(try await admin.send("PUT", "/os-quota-sets/\(project)", ["quota_set": ["volumes": 5]]).status == 200)
            try await first.withSecondGateway { second in
                let clients = [demo, try VolumeClient(second)]
                let replies = try await Self.createConcurrently(clients, size: 1)
                let accepted = replies.filter { $0.status == 202 }
                #expect(accepted.count == 5, "\(replies.map { "\($0.status) \($0.text.prefix(300))" })")
                let refused = replies.filter { $0.status == 413 }
                #expect(refused.count == 15, "\(replies.map { "\($0.status) \($0.headers) \($0.text.prefix(300))" })")
                for reply in refused {
                    #expect(reply.json["overLimit"]?["message"] == "Maximum number of volumes allowed (5) exceeded for quota 'volumes'.")
                    #expect(reply.header("Retry-After") == "0")
                }
                #expect(try await Self.volumesInRegions(first, demo).count == 5)

                // Gigabytes: 5 GiB used, 11 allowed, 2 GiB each: exactly 3 more.
                let set = try await admin.send("PUT", "/os-quota-sets/\(project)", ["quota_set": ["volumes": -1, "gigabytes": 11]])
                #expect(set.status == 200)
                let more = try await Self.createConcurrently(clients, size: 2)
                let fitted = more.filter { $0.status == 202 }
                #expect(fitted.count == 3, "\(more.map { "\($0.status) \($0.text.prefix(300))" })")
                let tooBig = more.filter { $0.status == 413 }
                #expect(tooBig.count == 17)
                #expect(tooBig.allSatisfy {
                    ($0.json["overLimit"]?["message"]?.stringValue ?? "").hasPrefix(
                        "Requested volume or snapshot exceeds allowed gigabytes quota. Requested 2G, quota is 11G and ")
                })
            }
            let volumes = try await Self.volumesInRegions(first, demo)
            #expect(volumes.count == 8)
            #expect(volumes.reduce(0) { $0 + ($1["size"]?.intValue ?? 0) } == 11)
            let shown = try await demo.send("GET", "/os-quota-sets/\(project)?usage=true").json["quota_set"]
            #expect(shown?["gigabytes"] == ["limit": 11, "in_use": 11, "reserved": 0])
            #expect(shown?["volumes"] == ["limit": -1, "in_use": 8, "reserved": 0])
        }
    }

    @Test("an extend and a snapshot are checked against the project's gigabytes over all regions")
    func extendAndSnapshotAreChecked() async throws {
        try await GatewayHarness.with { harness in
            let admin = try VolumeClient(harness, user: "admin")
            let demo = try VolumeClient(harness)
            let project = demo.token.projectID
            #expect(try await admin.send("PUT", "/os-quota-sets/\(project)", ["quota_set": ["gigabytes": 6, "snapshots": 1]]).status == 200)
            let a = try await demo.createVolume(name: "a", zone: "az1", size: 2)
            _ = try await demo.createVolume(name: "b", zone: "az2", size: 2)
            try await demo.waitFor("/volumes/\(a)", member: "volume", status: "available")
            let extend = try await demo.send("POST", "/volumes/\(a)/action", ["os-extend": ["new_size": 5]])
            #expect(extend.status == 413)
            #expect(extend.json["overLimit"]?["message"]
                == "Requested volume or snapshot exceeds allowed gigabytes quota. Requested 3G, quota is 6G and 4G has been consumed.")
            #expect(try await demo.send("POST", "/volumes/\(a)/action", ["os-extend": ["new_size": 3]]).status == 202)
            let snapshot = try await demo.send("POST", "/snapshots", ["snapshot": ["volume_id": .string(a), "force": true]])
            #expect(snapshot.status == 413, "\(snapshot.text)")
            let shown = try await demo.send("GET", "/os-quota-sets/\(project)?usage=true").json["quota_set"]
            #expect(shown?["gigabytes"] == ["limit": 6, "in_use": 5, "reserved": 0])
        }
    }
}
