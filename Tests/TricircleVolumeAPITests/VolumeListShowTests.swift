import Foundation
import GatewayTestHarness
import OpenStackModels
import Testing

/// A volume in a detail list is the same document as its show (Tempest's `VolumesListTestJSON`
/// compares them whole), with and without filters.
@Suite("Volume detail lists match shows")
struct VolumeListShowTests {
    @Test("detail lists, unfiltered and filtered by AZ, status, bootable, name, limit and sort, hold each volume exactly as shown")
    func detailEqualsShow() async throws {
        try await GatewayHarness.with { harness in
            let demo = try VolumeClient(harness)
            var shown: [String: JSONValue] = [:]
            for (index, zone) in ["az1", "az2", "az1"].enumerated() {
                let id = try await demo.createVolume(name: "listed-\(index)", zone: zone, extra: ["metadata": ["Type": "work"]])
                try await demo.waitFor("/volumes/\(id)", member: "volume", status: "available")
                shown[id] = try await demo.send("GET", "/volumes/\(id)").json["volume"]
            }
            let first = try #require(shown.values.first { $0["name"] == "listed-0" })
            let queries = [
                "", "?status=available", "?bootable=false", "?availability_zone=az1", "?availability_zone=az2",
                "?name=listed-0", "?limit=2&sort=name:asc", "?metadata=%7B%22Type%22%3A%22work%22%7D",
            ]
            for query in queries {
                let reply = try await demo.send("GET", "/volumes/detail" + query)
                #expect(reply.status == 200, "\(query): \(reply.text)")
                let listed = reply.json["volumes"]?.arrayValue ?? []
                #expect(!listed.isEmpty, "\(query) found nothing")
                for volume in listed {
                    let id = volume["id"]?.stringValue ?? ""
                    #expect(volume == shown[id], "\(query): listed \(volume) but shown \(String(describing: shown[id]))")
                }
                if query.hasPrefix("?availability_zone=") {
                    let zone = String(query.dropFirst("?availability_zone=".count))
                    #expect(listed.allSatisfy { $0["availability_zone"]?.stringValue == zone })
                    #expect(listed.count == shown.values.filter { $0["availability_zone"]?.stringValue == zone }.count)
                }
            }
            let byName = try await demo.send("GET", "/volumes/detail?name=listed-0").json["volumes"]?.arrayValue
            #expect(byName == [first])
            // The summary list carries the same links as the show.
            let summary = try await demo.send("GET", "/volumes?name=listed-0").json["volumes"]?.arrayValue?.first
            #expect(summary?["links"] == first["links"])
            #expect(summary?["links"]?.arrayValue?.first?["href"]?.stringValue?.hasPrefix(harness.origin("volume")) == true)
        }
    }
}
