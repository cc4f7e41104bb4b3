import Foundation
import GatewayTestHarness
import OpenStackModels
import RegionSimulator
import Testing
import TricircleCore
import TricircleGateway
import TricircleNetworkAPI
import TricircleStore
import TricircleTestSupport

/// Keeping the pods' copies in step with the top: address changes, and a pod that was down when a change was made.
@Suite("Network sync to pods")
struct NetworkSyncTests {
    /// Polls `probe` until it holds (the sync is a job), at most `tries` times.
    static func eventually(_ tries: Int = 200, _ probe: () async throws -> Bool) async throws -> Bool {
        for _ in 0..<tries {
            if try await probe() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    @Test("a port's fixed IP and MAC changed at the top reach the pod's copy; the old address is free again at the top",
          arguments: TestDatabases.backends)
    func portAddressChange(backend: StoreBackend) async throws {
        try await GatewayHarness.with(backend: backend) { harness in
            let neutron = try NeutronClient(harness)
            let admin = try NeutronClient(harness, user: "admin")
            let (networkID, subnetID) = try await neutron.networkWithSubnet("10.40.0.0/24")
            let provisioner = try #require(harness.assembly.frontEnds.compactMap { $0 as? NetworkFrontEnd }.first?.networkProvisioner)
            _ = try await provisioner.prepare(networks: [["uuid": .string(networkID)]], securityGroups: ["default"],
                                              in: try await harness.pod("RegionOne"), context: neutron.podContext())
            let listed = try await neutron.send("GET", "/ports?network_id=\(networkID)&device_owner=compute:az1")
            let port = try #require(listed.json["ports"]?.at(0))
            let portID = port["id"]?.stringValue ?? ""
            let oldAddress = try #require(port["fixed_ips"]?.at(0)?["ip_address"]?.stringValue)
            // An address no top port holds (the pod's gateway and DHCP reservations are allocated too).
            let held = Set(try await admin.send("GET", "/ports?network_id=\(networkID)").json["ports"]?.arrayValue?
                .flatMap { $0["fixed_ips"]?.arrayValue ?? [] }.compactMap { $0["ip_address"]?.stringValue } ?? [])
            let newAddress = try #require((70...90).map { "10.40.0.\($0)" }.first { !held.contains($0) })
            let newMAC = "fa:16:3e:00:40:77"

            let updated = try await admin.send("PUT", "/ports/\(portID)", ["port": [
                "fixed_ips": [["subnet_id": .string(subnetID), "ip_address": .string(newAddress)]],
                "mac_address": .string(newMAC),
            ]])
            #expect(updated.status == 200, "\(updated.text)")
            #expect(updated.json["port"]?["fixed_ips"]?.at(0)?["ip_address"]?.stringValue == newAddress)

            // The pod's copy converges to exactly the top's address and MAC.
            var podPort: JSONValue = .null
            let converged = try await Self.eventually {
                podPort = try await neutron.direct("RegionOne", "/ports?name=\(portID)").json["ports"]?.at(0) ?? .null
                return podPort["fixed_ips"]?.at(0)?["ip_address"]?.stringValue == newAddress
                    && podPort["mac_address"]?.stringValue == newMAC
            }
            #expect(converged, "pod port: \(podPort)")
            #expect(podPort["fixed_ips"]?.arrayValue?.count == 1)
            let bottomSubnet = try await neutron.direct("RegionOne", "/subnets?name=\(subnetID)").json["subnets"]?.at(0)?["id"]?.stringValue
            #expect(podPort["fixed_ips"]?.at(0)?["subnet_id"]?.stringValue == bottomSubnet)

            // The old address is free at the top: a new port may take it by value.
            let reuse = try await neutron.send("POST", "/ports", ["port": [
                "network_id": .string(networkID), "fixed_ips": [["ip_address": .string(oldAddress)]],
            ]])
            #expect(reuse.status == 201, "\(reuse.text)")
            // And the new one is taken.
            let clash = try await neutron.send("POST", "/ports", ["port": [
                "network_id": .string(networkID), "fixed_ips": [["ip_address": .string(newAddress)]],
            ]])
            #expect(clash.status == 409)
            #expect(clash.json["NeutronError"]?["type"] == "IpAddressAlreadyAllocated")
        }
    }

    @Test("a pod whose Neutron is down when a rule is added at the top gets the rule when it is back (the job retries)",
          arguments: TestDatabases.backends)
    func podDownThenBack(backend: StoreBackend) async throws {
        let overrides = ["job.max_attempts": "1000", "job.backoff_max_seconds": "0.2"]
        try await GatewayHarness.with(backend: backend, overrides: overrides) { harness in
            let neutron = try NeutronClient(harness)
            let (networkID, _) = try await neutron.networkWithSubnet("10.41.0.0/24")
            let provisioner = try #require(harness.assembly.frontEnds.compactMap { $0 as? NetworkFrontEnd }.first?.networkProvisioner)
            let group = try await neutron.create("security-groups", "security_group", ["name": "web"])
            let groupID = group["id"]?.stringValue ?? ""
            for region in ["RegionOne", "RegionTwo"] {
                _ = try await provisioner.prepare(networks: [["uuid": .string(networkID)]], securityGroups: ["web"],
                                                  in: try await harness.pod(region), context: neutron.podContext())
            }
            let bottomTwo = try await neutron.direct("RegionTwo", "/security-groups?name=\(groupID)").json["security_groups"]?.at(0)?["id"]?.stringValue
            let bottomGroup = try #require(bottomTwo)

            harness.cloud.setFault(FaultSettings(down: true), region: "RegionTwo", service: .network)
            let rule = try await neutron.send("POST", "/security-group-rules", ["security_group_rule": [
                "security_group_id": .string(groupID), "direction": "ingress", "protocol": "tcp",
                "port_range_min": 8080, "port_range_max": 8080,
            ]])
            #expect(rule.status == 201, "\(rule.text)")

            // The sync job runs and fails on the dead pod (and is due again)...
            // (attempts, status, last error) of the group's sync job.
            func syncJob() async throws -> (attempts: Int, status: String, error: String?)? {
                try await harness.runtime.jobs.list(filter: .init(type: "neutron_sync"), limit: 1000)
                    .first { $0.resource["top_id"] == groupID }
                    .map { ($0.attempts, $0.status.rawValue, $0.lastError) }
            }
            let failed = try await Self.eventually {
                guard let job = try await syncJob() else { return false }
                return job.attempts >= 1 && job.error != nil && job.status != "success"
            }
            #expect(failed, "the sync job failed while RegionTwo was down")
            // ...while the live pod already has the rule.
            let bottomOne = try await neutron.direct("RegionOne", "/security-groups?name=\(groupID)").json["security_groups"]?.at(0)?["id"]?.stringValue ?? ""
            #expect(try await Self.eventually {
                try await neutron.direct("RegionOne", "/security-group-rules?security_group_id=\(bottomOne)&port_range_min=8080")
                    .json["security_group_rules"]?.arrayValue?.count == 1
            })

            harness.cloud.setFault(FaultSettings(), region: "RegionTwo", service: .network)
            // The region's listener reopens in the background: a refused connection here only means "not yet".
            let converged = try await Self.eventually(400) {
                let rules = try? await neutron.direct("RegionTwo", "/security-group-rules?security_group_id=\(bottomGroup)&port_range_min=8080")
                return rules?.json["security_group_rules"]?.arrayValue?.count == 1
            }
            #expect(converged, "RegionTwo's group got the rule once it was back")
            let finished = try await Self.eventually { try await syncJob()?.status == "success" }
            #expect(finished)
            let job = try #require(try await syncJob())
            #expect(job.attempts >= 2)
        }
    }
}
