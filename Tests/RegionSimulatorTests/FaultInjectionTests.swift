import AsyncHTTPClient
import Foundation
import NIOCore
import OpenStackModels
import RegionSimulator
import Testing

@Suite("Fault injection")
struct FaultInjectionTests {
    @Test("down closes the listener: connection refused, and it comes back on the same port")
    func downMeansConnectionRefused() async throws {
        try await withCloud { cloud, client, tokens in
            let nova = try cloud.url(.compute)
            #expect(try await client.send(.GET, nova + "/servers", token: tokens.demo).status == 200)
            cloud.setFault(FaultSettings(down: true), region: "RegionOne", service: .compute)
            // The pooled keep-alive connection is closed too; then new connections are refused (ECONNREFUSED).
            // AsyncHTTPClient retries refused connects until the deadline, hence the short timeout.
            try await eventually(attempts: 50) {
                do {
                    _ = try await client.send(.GET, nova + "/servers", token: tokens.demo, timeout: .milliseconds(200))
                    return false
                } catch {
                    return "\(error)".contains("Connection refused")
                }
            }
            // Other services of the region still answer.
            #expect(try await client.send(.GET, try cloud.url(.volume) + "/volumes", token: tokens.demo).status == 200)
            cloud.setFault(FaultSettings(), region: "RegionOne", service: .compute)
            try await eventually {
                (try? await client.send(.GET, nova + "/servers", token: tokens.demo, timeout: .milliseconds(500)).status) == 200
            }
        }
    }

    @Test("black hole accepts the connection and never answers: the client times out")
    func blackHoleTimesOut() async throws {
        try await withCloud { cloud, client, tokens in
            cloud.setFault(FaultSettings(blackHole: true), region: "RegionOne", service: .image)
            let glance = try cloud.url(.image)
            let nova = try cloud.url(.compute)
            var timedOut = false
            do {
                _ = try await client.send(.GET, glance + "/v2/images", token: tokens.demo, timeout: .milliseconds(300))
            } catch let error as HTTPClientError {
                timedOut = error == .deadlineExceeded || error == .readTimeout
            }
            #expect(timedOut)
            let other = try await client.send(.GET, nova + "/servers", token: tokens.demo)
            #expect(other.status == 200)
        }
    }

    @Test("latency delays the answer by at least the configured time")
    func latencyDelaysAnswers() async throws {
        try await withCloud { cloud, client, tokens in
            cloud.setFault(FaultSettings(latencyMs: 150, jitterMs: 20), region: "RegionOne", service: .volume)
            let clock = ContinuousClock()
            let start = clock.now
            let reply = try await client.send(.GET, try cloud.url(.volume) + "/volumes", token: tokens.demo)
            #expect(reply.status == 200)
            #expect(clock.now - start >= .milliseconds(150))
        }
    }

    @Test("error rate 1.0 answers 503 in each service's own error format")
    func errorRateAnswersInServiceFormat() async throws {
        let config = SimulatedCloudConfiguration.testing(regions: [
            .init(name: "RegionOne", availabilityZone: "az1", services: [.compute, .image, .network])
        ])
        try await withCloud(config) { cloud, client, tokens in
            for service in [SimulatedCloudConfiguration.ServiceKind.compute, .image, .network] {
                cloud.setFault(FaultSettings(errorRate: 1.0), region: "RegionOne", service: service)
            }
            let nova = try await client.send(.GET, try cloud.url(.compute) + "/servers", token: tokens.demo)
            #expect(nova.status == 503)
            #expect(nova.json["serviceUnavailable"]?["code"] == 503)
            let glance = try await client.send(.GET, try cloud.url(.image) + "/v2/images", token: tokens.demo)
            #expect(glance.status == 503)
            #expect(glance.json["title"] == "Service Unavailable")
            let neutron = try await client.send(.GET, try cloud.url(.network) + "/v2.0/networks", token: tokens.demo)
            #expect(neutron.status == 503)
            #expect(neutron.json["NeutronError"]?["type"] == "ServiceUnavailable")
            cloud.setFault(FaultSettings(errorRate: 1.0, errorStatus: 500), region: "RegionOne", service: .compute)
            let fault = try await client.send(.GET, try cloud.url(.compute) + "/servers", token: tokens.demo)
            #expect(fault.json["computeFault"]?["code"] == 500)
        }
    }

    @Test("the control endpoint reads and changes faults at run time")
    func controlEndpointChangesFaults() async throws {
        try await withCloud { cloud, client, tokens in
            let control = cloud.controlURL + "/sim/faults/RegionOne/nova"
            let put = try await client.send(.PUT, control, json: ["error_rate": 1, "error_status": 500])
            #expect(put.status == 200)
            #expect(put.json["error_rate"] == 1)
            #expect(cloud.faults(region: "RegionOne")?.settings(for: "compute").errorRate == 1)
            #expect(try await client.send(.GET, try cloud.url(.compute) + "/servers", token: tokens.demo).status == 500)
            let patched = try await client.send(.PATCH, control, json: ["latency_ms": 5])
            #expect(patched.json["error_rate"] == 1)
            #expect(patched.json["latency_ms"] == 5)
            #expect(try await client.send(.DELETE, control).status == 204)
            #expect(try await client.send(.GET, try cloud.url(.compute) + "/servers", token: tokens.demo).status == 200)
            #expect(try await client.send(.GET, cloud.controlURL + "/sim/faults/Nowhere/compute").status == 404)
            let endpoints = try await client.send(.GET, cloud.controlURL + "/sim/endpoints")
            #expect(endpoints.json["regions"]?["RegionOne"]?["compute"]?.stringValue == cloud.endpoint(region: "RegionOne", service: .compute))
        }
    }

    @Test("slow transitions stretch BUILD -> ACTIVE")
    func slowTransitionsStretchBuild() async throws {
        try await withCloud(.testing(transition: .milliseconds(20))) { cloud, client, tokens in
            cloud.setFault(FaultSettings(transitionFactor: 10_000), region: "RegionOne", service: .compute)
            let nova = try cloud.url(.compute)
            let created = try await client.send(.POST, nova + "/servers", token: tokens.demo, json: bootBody(cloud, name: "slow"))
            let id = created.json["server"]?["id"]?.stringValue ?? ""
            try await Task.sleep(for: .milliseconds(60))
            #expect(try await client.send(.GET, nova + "/servers/\(id)", token: tokens.demo).json["server"]?["status"] == "BUILD")
        }
    }
}
