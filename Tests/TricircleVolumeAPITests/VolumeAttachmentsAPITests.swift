import Foundation
import GatewayTestHarness
import OpenStackModels
import Testing

/// Cinder's attachments API (3.27+) through the top: made, updated, completed and deleted in the volume's
/// region (openstacksdk's `create_attachment`/`delete_attachment`, Nova's attach flow).
@Suite("Volume attachments API at the top")
struct VolumeAttachmentsAPITests {
    static func boot(_ harness: GatewayHarness, _ client: VolumeClient, az: String) async throws -> String {
        let image = try #require(harness.cloud.store(region: "RegionOne")?.seededImageID)
        let compute = harness.url("compute")
        let made = try await harness.send(
            "POST", compute + "/servers", token: client.token.id,
            body: #"{"server": {"name": "att", "flavorRef": "1", "imageRef": "\#(image)", "availability_zone": "\#(az)"}}"#)
        #expect(made.status == 202, "\(made.text)")
        let id = try #require(made.json["server"]?["id"]?.stringValue)
        for _ in 0..<300 {
            if try await harness.send("GET", compute + "/servers/\(id)", token: client.token.id).json["server"]?["status"] == "ACTIVE" { return id }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw HarnessError("server \(id) never became ACTIVE")
    }

    @Test("reserve, PUT a connector, complete and delete an attachment through the top; the volume follows in its region; another region's server is refused")
    func attachmentLifecycle() async throws {
        try await GatewayHarness.with { harness in
            let client = try VolumeClient(harness)
            let v327 = [("OpenStack-API-Version", "volume 3.27")]
            let v344 = [("OpenStack-API-Version", "volume 3.44")]
            let server = try await Self.boot(harness, client, az: "az1")
            let volume = try await client.createVolume(name: "att", zone: "az1")
            try await client.waitFor("/volumes/\(volume)", member: "volume", status: "available")

            // Below 3.27 there is no attachments API, as in Cinder.
            #expect(try await client.send("GET", "/attachments").status == 404)
            let made = try await client.send(
                "POST", "/attachments", ["attachment": ["volume_uuid": .string(volume), "instance_uuid": .string(server), "connector": [:]]], headers: v327)
            #expect(made.status == 200, "\(made.text)")
            let id = try #require(made.json["attachment"]?["id"]?.stringValue)
            #expect(made.json["attachment"]?["status"] == "reserved")
            #expect(made.json["attachment"]?["instance"]?.stringValue == server)
            #expect(try await client.send("GET", "/volumes/\(volume)").json["volume"]?["status"] == "reserved")

            let updated = try await client.send(
                "PUT", "/attachments/\(id)", ["attachment": ["connector": ["host": "compute1", "initiator": "iqn.x"]]], headers: v327)
            #expect(updated.status == 200, "\(updated.text)")
            #expect(updated.json["attachment"]?["status"] == "attaching")
            #expect(updated.json["attachment"]?["connection_info"]?["driver_volume_type"] != nil)
            #expect(try await client.send("PUT", "/attachments/\(id)", ["attachment": [:]], headers: v327).status == 400)
            #expect(try await client.send("POST", "/attachments/\(id)/action", ["os-complete": [:]], headers: v344).status == 204)
            #expect(try await client.send("GET", "/volumes/\(volume)").json["volume"]?["status"] == "in-use")
            let shown = try await client.send("GET", "/attachments/\(id)", headers: v327)
            #expect(shown.json["attachment"]?["status"] == "attached")
            let listed = try await client.send("GET", "/attachments?volume_id=\(volume)", headers: v327)
            #expect(listed.json["attachments"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == [id])

            // Another project sees no such attachment.
            let alt = try VolumeClient(harness, user: "alt_demo")
            #expect(try await alt.send("GET", "/attachments/\(id)", headers: v327).status == 404)

            let deleted = try await client.send("DELETE", "/attachments/\(id)", headers: v327)
            #expect(deleted.status == 200)
            #expect(deleted.json["attachments"] == [])
            #expect(try await client.send("GET", "/volumes/\(volume)").json["volume"]?["status"] == "available")
            #expect(try await client.send("GET", "/attachments/\(id)", headers: v327).status == 404)

            let far = try await client.createVolume(name: "far", zone: "az2")
            try await client.waitFor("/volumes/\(far)", member: "volume", status: "available")
            let refused = try await client.send(
                "POST", "/attachments", ["attachment": ["volume_uuid": .string(far), "instance_uuid": .string(server)]], headers: v327)
            #expect(refused.status == 400)
            #expect(refused.json["badRequest"]?["message"]?.stringValue?.contains("az1") == true)
        }
    }
}
