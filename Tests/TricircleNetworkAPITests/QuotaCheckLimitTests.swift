import Foundation
import GatewayTestHarness
import OpenStackModels
import Testing

/// `check_limit` in a quota update (Neutron's quota-check-limit, on by default): `openstack quota set` sends it,
/// and both the top and the simulated regions refused it as an unknown attribute, so no quota could be changed
/// with the real client (Rally's runs hit the security group limit for want of it).
@Suite struct QuotaCheckLimitTests {
    @Test("check_limit is taken at the top and in a region: a limit below usage is 409 OverQuota unless it is false")
    func checkLimit() async throws {
        try await GatewayHarness.with { harness in
            let demo = try NeutronClient(harness)
            let admin = try NeutronClient(harness, user: "admin")
            let project = demo.token.projectID
            _ = try await demo.create("networks", "network", ["name": "one"])
            _ = try await demo.create("networks", "network", ["name": "two"])

            let raised = try await admin.send("PUT", "/quotas/\(project)", ["quota": ["security_group": 50, "check_limit": true]])
            #expect(raised.status == 200, "\(raised.text)")
            #expect(raised.json["quota"]?["security_group"] == 50)
            #expect(raised.json["quota"]?["check_limit"] == nil)

            let below = try await admin.send("PUT", "/quotas/\(project)", ["quota": ["network": 1, "check_limit": true]])
            #expect(below.status == 409)
            #expect(below.json["NeutronError"]?["type"] == "OverQuota")
            #expect(below.json["NeutronError"]?["message"] == "Quota exceeded for resources: ['network'].")
            // On by default (quota-check-limit-default).
            #expect(try await admin.send("PUT", "/quotas/\(project)", ["quota": ["network": 1]]).status == 409)
            let forced = try await admin.send("PUT", "/quotas/\(project)", ["quota": ["network": 1, "check_limit": false]])
            #expect(forced.status == 200)
            #expect(forced.json["quota"]?["network"] == 1)
            #expect(try await admin.send("PUT", "/quotas/\(project)", ["quota": ["network": 5, "check_limit": "maybe"]]).status == 400)

            // A region's own Neutron answers the same.
            let endpoint = try #require(harness.cloud.endpoint(region: "RegionOne", service: .network))
            let adminToken = try harness.token(user: "admin").id
            let regional = try await harness.send(
                "PUT", endpoint + "/v2.0/quotas/\(project)", token: adminToken,
                body: #"{"quota": {"security_group": 50, "check_limit": true}}"#)
            #expect(regional.status == 200, "\(regional.text)")
        }
    }
}
