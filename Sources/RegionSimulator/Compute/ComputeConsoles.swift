import Foundation
import Hummingbird
import OpenStackModels

/// Server diagnostics and remote consoles as a devstack Nova answers them: diagnostics for admins
/// (libvirt's flat dict before 2.48, the standard shape from), a noVNC console (the only kind such a
/// region runs) from `remote-consoles` (2.6+) or the `os-getVNCConsole` action (before 2.6).
extension ComputeAPI {
    static let consoleActions: Set<String> = ["os-getVNCConsole", "os-getSPICEConsole", "os-getSerialConsole", "os-getRDPConsole"]

    /// `GET /servers/{id}/diagnostics`.
    func diagnostics(_ call: ComputeCall) async throws -> Response {
        guard call.isAdmin else {
            throw SimulatorError.forbidden("Policy doesn't allow os_compute_api:os-server-diagnostics to be performed.")
        }
        let s = try readServer(call)
        guard s.vmState == "active" || s.vmState == "paused" || s.vmState == "stopped" || s.vmState == "suspended" else {
            throw SimulatorError.conflict("Cannot 'get_diagnostics' instance \(s.id) while it is in vm_state \(s.vmState)")
        }
        let memory = 524_288
        let uptime = Int(call.now.timeIntervalSince(s.launchedAt ?? s.created))
        if !call.atLeast(2, 48) {
            var flat: [String: JSONValue] = [
                "cpu0_time": .int(17_300_000_000), "memory": .int(memory),
                "vda_errors": .int(-1), "vda_read": .int(262_144), "vda_read_req": .int(112),
                "vda_write": .int(5_778_432), "vda_write_req": .int(488),
            ]
            for (index, _) in s.ports.enumerated() {
                for (key, value) in [("rx", 2_070_139), ("rx_drop", 0), ("rx_errors", 0), ("rx_packets", 26_701),
                                     ("tx", 140_208), ("tx_drop", 0), ("tx_errors", 0), ("tx_packets", 662)] {
                    flat["tap\(index)_\(key)"] = .int(value)
                }
            }
            return SimHTTP.json(.object(flat))
        }
        let running = s.powerState == 1
        return SimHTTP.json([
            "state": .string(running ? "running" : s.powerState == 3 ? "paused" : "shutdown"),
            "driver": "libvirt", "hypervisor": "kvm", "hypervisor_os": "linux", "uptime": .int(max(0, uptime)),
            "config_drive": .bool(s.configDrive == "True" || s.configDrive == "true"),
            "num_cpus": 1, "num_nics": .int(s.ports.count), "num_disks": .int(1 + s.volumeAttachments.count),
            "memory_details": ["maximum": .int(memory), "used": .int(running ? memory / 2 : 0)],
            "cpu_details": [["id": 0, "time": .int(17_300_000_000), "utilisation": .null]],
            "nic_details": .array(s.ports.map { port in
                ["mac_address": .string(port.mac), "rx_octets": 2_070_139, "rx_errors": 0, "rx_drop": 0, "rx_packets": 26_701,
                 "rx_rate": .null, "tx_octets": 140_208, "tx_errors": 0, "tx_drop": 0, "tx_packets": 662, "tx_rate": .null]
            }),
            "disk_details": .array((0...s.volumeAttachments.count).map { _ in
                ["read_bytes": 262_144, "read_requests": 112, "write_bytes": 5_778_432, "write_requests": 488, "errors_count": -1]
            }),
        ])
    }

    /// A noVNC URL for a server that has a host (Nova: 409 "not ready" while building).
    private func vncURL(_ s: ServerRecord, call: ComputeCall) throws -> String {
        guard s.vmState != "building" else { throw SimulatorError.conflict("Instance \(s.id) is not ready") }
        let host = URL(string: call.base)?.host ?? "127.0.0.1"
        return "http://\(host):6080/vnc_lite.html?path=%3Ftoken%3D\(newUUID())"
    }

    /// `POST /servers/{id}/remote-consoles` (2.6+).
    func remoteConsole(_ call: ComputeCall) async throws -> Response {
        guard call.atLeast(2, 6) else { throw SimulatorError.notFound("The resource could not be found.") }
        let body = try await SimHTTP.body(call.request, context: call.context, format: .fault)
        let req = try SimHTTP.member(body, "remote_console", format: .fault)
        var protocols = ["vnc", "spice", "rdp", "serial"]
        var types = ["novnc", "xvpvnc", "rdp-html5", "spice-html5", "serial"]
        if call.atLeast(2, 8) {
            protocols.append("mks")
            types.append("webmks")
        }
        if call.atLeast(2, 99) { types.append("spice-direct") }
        for (field, allowed) in [("protocol", protocols), ("type", types)] {
            guard let value = req[field]?.stringValue else {
                throw SimulatorError.badRequest("Invalid input for field/attribute remote_console. Value: \(JSONValue.object(req)). '\(field)' is a required property")
            }
            guard allowed.contains(value) else {
                throw SimulatorError.badRequest("Invalid input for field/attribute \(field). Value: \(value). '\(value)' is not one of \(allowed)")
            }
        }
        let proto = req["protocol"]?.stringValue ?? ""
        let type = req["type"]?.stringValue ?? ""
        // This region runs a noVNC proxy only, as devstack does by default.
        guard proto == "vnc" else { throw SimulatorError.badRequest("Unavailable console type \(proto).") }
        guard type == "novnc" else { throw SimulatorError.badRequest("Invalid console type \(type)") }
        let url = try vncURL(try readServer(call), call: call)
        return SimHTTP.json(["remote_console": ["protocol": .string(proto), "type": .string(type), "url": .string(url)]])
    }

    /// The `os-get*Console` actions (2.1 to 2.5); nil for any other action.
    func consoleAction(_ name: String, _ args: JSONValue, call: ComputeCall) throws -> Response? {
        guard Self.consoleActions.contains(name) else { return nil }
        guard !call.atLeast(2, 6) else { throw SimulatorError.notFound("The resource could not be found.") }
        let type = args["type"]?.stringValue
        guard name == "os-getVNCConsole" else {
            throw SimulatorError.badRequest("Unavailable console type \(type ?? "").")
        }
        guard type == "novnc" else { throw SimulatorError.badRequest("Invalid console type \(type ?? "None")") }
        let url = try vncURL(try readServer(call), call: call)
        return SimHTTP.json(["console": ["type": .string("novnc"), "url": .string(url)]])
    }
}
