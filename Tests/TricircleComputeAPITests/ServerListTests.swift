import Foundation
import GatewayTestHarness
import OpenStackModels
import RegionSimulator
import Testing
import TricircleCore

/// Lists merged across pods, paged with limit/marker, and robust to a dead pod.
@Suite("Server lists across pods")
struct ServerListTests {
    @Test("a merged list paged with limit=1 gives every server once, newest first, with next links at the gateway")
    func pagedWithoutLossOrRepeat() async throws {
        try await GatewayHarness.with { harness in
            let client = try ComputeClient(harness)
            var booted: [String] = []
            for index in 0..<3 {
                booted.append(try await client.boot("a\(index)", az: "az1"))
                booted.append(try await client.boot("b\(index)", az: "az2"))
            }
            let full = try await client.send("GET", "/servers/detail")
            let all = full.json["servers"]?.arrayValue ?? []
            #expect(Set(all.compactMap { $0["id"]?.stringValue }) == Set(booted))
            // Newest first across pods.
            let created = all.compactMap { $0["created"]?.stringValue }
            #expect(created == created.sorted(by: >))

            let walked = try await client.walk("/servers?limit=1")
            #expect(walked.ids.count == booted.count)
            #expect(Set(walked.ids) == Set(booted))
            #expect(walked.pages >= booted.count)
            let detailWalk = try await client.walk("/servers/detail?limit=2")
            #expect(detailWalk.ids == all.compactMap { $0["id"]?.stringValue })

            let first = try await client.send("GET", "/servers?limit=1")
            let next = first.json["servers_links"]?.arrayValue?.first?["href"]?.stringValue ?? ""
            #expect(next.hasPrefix(harness.origin("compute") + "/v2.1/servers?"))

            // Sorted by name ascending, paged: still complete and in order.
            let byName = try await client.walk("/servers/detail?sort_key=display_name&sort_dir=asc&limit=1")
            #expect(byName.ids.count == booted.count)
            #expect(Set(byName.ids) == Set(booted))

            let az2 = try await client.send("GET", "/servers?availability_zone=az2")
            #expect(az2.json["servers"]?.arrayValue?.count == 3)
            let named = try await client.send("GET", "/servers?name=a1")
            #expect(named.json["servers"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["a1"])

            let badMarker = try await client.send("GET", "/servers?marker=\(UUID().uuidString.lowercased())")
            #expect(badMarker.status == 400)
            #expect(badMarker.json["badRequest"] != nil)
            let badSort = try await client.send("GET", "/servers?sort_key=nope")
            #expect(badSort.status == 400)
        }
    }

    @Test("image and flavor filters name top ids: a server booted from the image's copy in RegionTwo is found by the top image id, and a page link keeps the filters")
    func imageAndFlavorFiltersAreTranslatedPerPod() async throws {
        try await GatewayHarness.with { harness in
            let client = try ComputeClient(harness)
            let image = try await client.image(for: "az2")
            let one = try await client.boot("one", az: "az1")
            let two = try await client.boot("two", az: "az2")
            try await client.waitFor(two, status: "ACTIVE")
            // RegionTwo's server runs the copy, which has its own id there.
            let inPod = try await client.direct("RegionTwo", "/servers/\(two)")
            let podImage = try #require(inPod.json["server"]?["image"]?["id"]?.stringValue)
            #expect(podImage != image)

            let byImage = try await client.send("GET", "/servers?image=\(image)")
            #expect(Set(byImage.json["servers"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []) == [one, two])
            let paged = try await client.walk("/servers?image=\(image)&limit=1")
            #expect(Set(paged.ids) == [one, two])
            let first = try await client.send("GET", "/servers?image=\(image)&availability_zone=az2&limit=1")
            let next = first.json["servers_links"]?.arrayValue?.first?["href"]?.stringValue ?? ""
            #expect(next.contains("image=\(image)") && next.contains("availability_zone=az2"))
            #expect(try await client.send("GET", "/servers?image=\(UUID().uuidString.lowercased())").json["servers"] == [])

            #expect(Set(try await client.send("GET", "/servers?flavor=1").json["servers"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []) == [one, two])
            #expect(try await client.send("GET", "/servers?flavor=2").json["servers"] == [])
        }
    }

    @Test("another project's servers are not listed; an admin sees them with all_tenants")
    func projectScoped() async throws {
        try await GatewayHarness.with { harness in
            let owner = try ComputeClient(harness)
            let id = try await owner.boot("mine", az: "az1")
            let other = try ComputeClient(harness, user: "alt_demo")
            #expect(try await other.send("GET", "/servers").json["servers"]?.arrayValue?.isEmpty == true)
            let admin = try ComputeClient(harness, user: "admin")
            let all = try await admin.send("GET", "/servers?all_tenants=1")
            #expect(all.json["servers"]?.arrayValue?.contains { $0["id"]?.stringValue == id } == true)
        }
    }

    @Test("a black-holed region is left out of lists (UNKNOWN at 2.69) and routed calls to it fail with 503")
    func blackHoledRegion() async throws {
        try await GatewayHarness.with(overrides: ["client.list_timeout": "0.5", "client.pod_timeout": "1"]) { harness in
            let client = try ComputeClient(harness)
            let near = try await client.boot("near", az: "az1")
            let far = try await client.boot("far", az: "az2")
            harness.cloud.setFault(FaultSettings(blackHole: true), region: "RegionTwo", service: .compute)

            let listed = try await client.send("GET", "/servers")
            #expect(listed.status == 200)
            #expect(listed.json["servers"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == [near])

            let down = try await client.send("GET", "/servers/detail", version: "2.69")
            let servers = down.json["servers"]?.arrayValue ?? []
            #expect(servers.count == 2)
            let unknown = servers.first { $0["id"]?.stringValue == far }
            #expect(unknown?["status"] == "UNKNOWN")
            #expect(unknown?["tenant_id"]?.stringValue == client.token.projectID)

            let routed = try await client.send("GET", "/servers/\(far)")
            #expect(routed.status == 503)
            #expect(routed.json["serviceUnavailable"]?["message"]?.stringValue?.contains("RegionTwo") == true)
            #expect(try await client.send("GET", "/servers/\(near)").status == 200)
        }
    }
}
