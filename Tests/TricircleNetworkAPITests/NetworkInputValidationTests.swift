import Foundation
import GatewayTestHarness
import OpenStackModels
import Testing

/// Names and descriptions checked at the top as neutron-lib checks them, before anything is stored.
@Suite struct NetworkInputValidationTests {
    @Test("a name or description over 255 characters, or not a string, is Neutron's 400 and nothing is made")
    func longNamesRefused() async throws {
        try await GatewayHarness.with { h in
            let client = try NeutronClient(h)
            let long = String(repeating: "n", count: 100_000)
            for (collection, key) in [("networks", "network"), ("security-groups", "security_group"), ("routers", "router")] {
                for body: JSONValue in [["name": .string(long)], ["description": .string(long)], ["name": 5]] {
                    let reply = try await client.send("POST", "/\(collection)", [key: body])
                    #expect(reply.status == 400, "\(collection) \(reply.status)")
                    #expect(reply.json["NeutronError"]?["type"]?.stringValue == "HTTPBadRequest")
                    #expect(reply.json["NeutronError"]?["message"]?.stringValue?.hasPrefix("Invalid input for ") == true)
                }
                let listed = try await client.send("GET", "/\(collection)?name=" + String(repeating: "n", count: 10))
                #expect(listed.json[collection.replacingOccurrences(of: "-", with: "_")]?.arrayValue?.isEmpty == true)
            }
            let (network, _) = try await client.networkWithSubnet()
            let update = try await client.send("PUT", "/networks/\(network)", ["network": ["name": .string(long)]])
            #expect(update.status == 400)
            let exact = try await client.send("PUT", "/networks/\(network)", ["network": ["name": .string(String(long.prefix(255)))]])
            #expect(exact.status == 200)
        }
    }
}
