import ArgumentParser
import Foundation
import OpenStackModels

/// What reading and writing a pod's page of server views costs: Foundation's `JSONDecoder`/`JSONEncoder` through
/// `JSONValue`'s Codable conformance (the gateway before a154f01) against the one-pass reader and writer it uses now.
/// Both run in this one process on the same bytes, so the ratio holds on a loaded machine.
struct JSONBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "json", abstract: "Decode and encode a page of Nova server views: Codable JSONValue vs the one-pass reader/writer.")

    @Option(help: "Server views per page.")
    var servers: Int = 100

    @Option(help: "Pages decoded/encoded per measurement (each variant).")
    var pages: Int = 200

    func run() async throws {
        let page = Self.page(servers: servers)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let value = try JSONValue(data: page)
        guard value == (try JSONDecoder().decode(JSONValue.self, from: page)),
              value.encoded() == (try encoder.encode(value)) else {
            throw ValidationError("the two readers or writers disagree on the page")
        }
        print("page: \(servers) Nova 2.100 server views, \(page.count) bytes; load \(ProcessStack.loadAverage)")
        print(row(["step", "Codable (JSONDecoder/Encoder)", "one pass", "speed-up"], widths: [10, 32, 32, 10]))
        let codableDecode = try Self.perServer(pages: pages / 10, servers: servers) { _ = try JSONDecoder().decode(JSONValue.self, from: page) }
        let ownDecode = try Self.perServer(pages: pages, servers: servers) { _ = try JSONValue(data: page) }
        print(row(["decode", String(format: "%.2f µs per server", codableDecode), String(format: "%.2f µs per server", ownDecode),
                   String(format: "%.1fx", codableDecode / ownDecode)], widths: [10, 32, 32, 10]))
        let codableEncode = try Self.perServer(pages: pages / 10, servers: servers) { _ = try encoder.encode(value) }
        let ownEncode = try Self.perServer(pages: pages, servers: servers) { _ = value.encoded() }
        print(row(["encode", String(format: "%.2f µs per server", codableEncode), String(format: "%.2f µs per server", ownEncode),
                   String(format: "%.1fx", codableEncode / ownEncode)], widths: [10, 32, 32, 10]))
    }

    /// Microseconds per server view, from `pages` runs of `body` over a page of `servers`.
    static func perServer(pages: Int, servers: Int, _ body: () throws -> Void) throws -> Double {
        try body()  // warm-up
        let clock = ContinuousClock()
        let start = clock.now
        for _ in 0..<max(1, pages) { try body() }
        let elapsed = clock.now - start
        let micros = Double(elapsed.components.seconds) * 1e6 + Double(elapsed.components.attoseconds) / 1e12
        return micros / Double(max(1, pages) * max(1, servers))
    }

    /// `{"servers": [...]}` as a region's Nova answers `/servers/detail` at 2.100 (fields as in the API reference).
    static func page(servers: Int) -> Data {
        let views = (0..<servers).map { index in
            let id = String(format: "2ce4c5b3-2866-4972-93ce-%012d", index)
            return #"{"OS-DCF:diskConfig": "AUTO", "OS-EXT-AZ:availability_zone": "nova", "OS-EXT-SRV-ATTR:host": "compute", "OS-EXT-STS:power_state": 1, "OS-EXT-STS:task_state": null, "OS-EXT-STS:vm_state": "active", "OS-SRV-USG:launched_at": "2026-12-07T15:19:10.000000", "OS-SRV-USG:terminated_at": null, "accessIPv4": "", "accessIPv6": "", "addresses": {"private": [{"OS-EXT-IPS-MAC:mac_addr": "fa:16:3e:0d:11:74", "OS-EXT-IPS:type": "fixed", "addr": "10.0.0.\#(index % 250 + 2)", "version": 4}]}, "config_drive": "", "created": "2026-12-07T15:19:09Z", "description": null, "flavor": {"disk": 1, "ephemeral": 0, "extra_specs": {}, "original_name": "m1.tiny", "ram": 512, "swap": 0, "vcpus": 1}, "hostId": "2091634baaccdc4c5a1d57069c833e402921df696b7f970791b12ec6", "id": "\#(id)", "image": {"id": "70a599e0-31e7-49b7-b260-868f441e862b", "links": [{"href": "http://10.0.0.5:8774/images/70a599e0-31e7-49b7-b260-868f441e862b", "rel": "bookmark"}]}, "key_name": null, "links": [{"href": "http://10.0.0.5:8774/v2.1/servers/\#(id)", "rel": "self"}, {"href": "http://10.0.0.5:8774/servers/\#(id)", "rel": "bookmark"}], "locked": false, "locked_reason": null, "metadata": {}, "name": "server-\#(index)", "os-extended-volumes:volumes_attached": [], "pinned_availability_zone": null, "progress": 0, "security_groups": [{"name": "default"}], "server_groups": [], "status": "ACTIVE", "tags": [], "tenant_id": "6f70656e737461636b20342065766572", "trusted_image_certificates": null, "updated": "2026-12-07T15:19:11Z", "user_id": "fake"}"#
        }
        return Data(("{\"servers\": [" + views.joined(separator: ", ") + "]}").utf8)
    }
}
