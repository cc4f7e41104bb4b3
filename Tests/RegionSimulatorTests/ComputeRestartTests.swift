import Foundation
import OpenStackModels
import RegionSimulator
import Testing

/// Reboots and rebuilds last seconds, as in a real cloud, so a client polling once a second sees them.
@Suite("Simulated Nova reboot and rebuild durations")
struct ComputeRestartTests {
    @Test("REBOOT, HARD_REBOOT and REBUILD show for 3 s by default while other transitions stay quick; transition_factor scales them")
    func restartsAreVisible() async throws {
        let clock = ManualClock()
        try await withCloud(.testing(transition: .milliseconds(100), clock: clock)) { cloud, client, tokens in
            let nova = try cloud.url(.compute)
            let id = try await client.send(.POST, nova + "/servers", token: tokens.demo, json: bootBody(cloud, name: "vm"))
                .json["server"]?["id"]?.stringValue ?? ""
            func status() async throws -> String? {
                try await client.send(.GET, nova + "/servers/\(id)", token: tokens.demo).json["server"]?["status"]?.stringValue
            }
            func act(_ body: JSONValue) async throws -> Int {
                try await client.send(.POST, nova + "/servers/\(id)/action", token: tokens.demo, json: body).status
            }
            clock.advance(0.2)
            #expect(try await status() == "ACTIVE")
            let image = cloud.store(region: "RegionOne")?.seededImageID ?? ""
            for (body, shown) in [(["reboot": ["type": "SOFT"]], "REBOOT"), (["reboot": ["type": "HARD"]], "HARD_REBOOT"),
                                  (["rebuild": ["imageRef": .string(image)]] as JSONValue, "REBUILD")] {
                #expect(try await act(body) == 202)
                #expect(try await status() == shown)
                // A client polling once a second sees it twice more before it ends.
                clock.advance(1)
                #expect(try await status() == shown)
                clock.advance(1)
                #expect(try await status() == shown)
                clock.advance(1.1)
                #expect(try await status() == "ACTIVE")
            }
            // Faster regions: the factor scales restarts like every other transition.
            cloud.setFault(FaultSettings(transitionFactor: 0.1), region: "RegionOne", service: .compute)
            #expect(try await act(["reboot": ["type": "SOFT"]]) == 202)
            clock.advance(0.2)
            #expect(try await status() == "REBOOT")
            clock.advance(0.2)
            #expect(try await status() == "ACTIVE")
        }
    }
}
