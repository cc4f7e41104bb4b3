import Foundation
import Hummingbird
import OpenStackModels

/// The region's hosts as Nova's admin APIs show them: `os-hypervisors` (one hypervisor on the one
/// compute host) and `os-services` (scheduler and conductor on the controller, nova-compute on the
/// compute host). Integer ids before 2.53, UUIDs from 2.53, as in Nova.
extension ComputeAPI {
    /// Capacity of the simulated hypervisor.
    static let hypervisorCapacity = (vcpus: 64, memoryMB: 131_072, localGB: 2048)

    fileprivate struct ServiceRow {
        var number: Int
        var binary: String
        var host: String
        var zone: String
        var change = ServiceChange()
    }

    /// The region's services with what admins changed (deleted ones left out).
    fileprivate var serviceRows: [ServiceRow] {
        let controller = "\(region.regionName.lowercased())-controller"
        let changes = store.compute.withLock { $0.serviceChanges }
        let rows = [
            ServiceRow(number: 1, binary: "nova-scheduler", host: controller, zone: "internal"),
            ServiceRow(number: 2, binary: "nova-conductor", host: controller, zone: "internal"),
        ] + computeHosts.enumerated().map { index, host in
            ServiceRow(number: 3 + index, binary: "nova-compute", host: host, zone: region.availabilityZone)
        }
        return rows.compactMap { row in
            var row = row
            row.change = changes[row.number] ?? ServiceChange()
            return row.change.deleted ? nil : row
        }
    }

    fileprivate func serviceUUID(_ number: Int) -> String { SeedID.uuid("\(region.regionName)/service/\(number)") }
    private func hypervisorUUID(_ number: Int) -> String { SeedID.uuid("\(region.regionName)/hypervisor/\(number)") }

    fileprivate func serviceJSON(_ s: ServiceRow, call: ComputeCall) -> JSONValue {
        var o: [String: JSONValue] = [
            "id": call.atLeast(2, 53) ? .string(serviceUUID(s.number)) : .int(s.number),
            "binary": .string(s.binary), "host": .string(s.host), "zone": .string(s.zone),
            "status": s.change.disabled ? "disabled" : "enabled", "state": s.change.forcedDown ? "down" : "up",
            "disabled_reason": s.change.reason.map(JSONValue.string) ?? .null,
            "updated_at": .string(SimTime.cinder(call.now)),
        ]
        if call.atLeast(2, 11) { o["forced_down"] = .bool(s.change.forcedDown) }
        return .object(o)
    }

    func listServices(_ call: ComputeCall) async throws -> Response {
        try requireAdmin(call, "os_compute_api:os-services:list")
        let host = call.query("host")
        let binary = call.query("binary")
        let rows = serviceRows.filter { (host == nil || $0.host == host) && (binary == nil || $0.binary == binary) }
        return SimHTTP.json(["services": .array(rows.map { serviceJSON($0, call: call) })])
    }

    /// What servers use on the hypervisor (every project's, as Nova counts them).
    private func usedResources(now: Date) -> (vms: Int, vcpus: Int, ram: Int, disk: Int) {
        store.compute.withLock { state in
            var used = (vms: 0, vcpus: 0, ram: 0, disk: 0)
            for server in state.servers.values where !server.isGone(at: now) {
                used.vms += 1
                if let flavor = state.flavors[server.flavorID]?.flavor {
                    used.vcpus += flavor.vcpus
                    used.ram += flavor.ram
                    used.disk += flavor.disk
                }
            }
            return used
        }
    }

    private func hypervisorJSON(_ number: Int, host: String, call: ComputeCall, detail: Bool) -> JSONValue {
        let modern = call.atLeast(2, 53)
        var o: [String: JSONValue] = [
            "id": modern ? .string(hypervisorUUID(number)) : .int(number),
            "hypervisor_hostname": .string(host), "state": "up", "status": "enabled",
        ]
        guard detail else { return .object(o) }
        o["hypervisor_type"] = "QEMU"
        o["hypervisor_version"] = 8_002_000
        o["host_ip"] = .string("192.0.2.\(10 + number)")
        o["service"] = [
            "id": modern ? .string(serviceUUID(2 + number)) : .int(2 + number), "host": .string(host), "disabled_reason": .null,
        ]
        if call.atLeast(2, 88) {
            o["uptime"] = " 10:00:00 up 1 day,  1 user,  load average: 0.10, 0.10, 0.10"
            return .object(o)
        }
        let cap = Self.hypervisorCapacity
        let used = usedResources(now: call.now)
        o["vcpus"] = .int(cap.vcpus)
        o["vcpus_used"] = .int(used.vcpus)
        o["memory_mb"] = .int(cap.memoryMB)
        o["memory_mb_used"] = .int(used.ram)
        o["free_ram_mb"] = .int(cap.memoryMB - used.ram)
        o["local_gb"] = .int(cap.localGB)
        o["local_gb_used"] = .int(used.disk)
        o["free_disk_gb"] = .int(cap.localGB - used.disk)
        o["disk_available_least"] = .int(cap.localGB - used.disk)
        o["running_vms"] = .int(used.vms)
        o["current_workload"] = 0
        let cpuInfo: JSONValue = ["arch": "x86_64", "model": "Nehalem", "vendor": "Intel", "features": [],
                                  "topology": ["cores": 16, "threads": 1, "sockets": 4]]
        o["cpu_info"] = call.atLeast(2, 28) ? cpuInfo : .string(String(decoding: JSONWriter.bytes(cpuInfo), as: UTF8.self))
        return .object(o)
    }

    private var hypervisors: [(Int, String)] { computeHosts.enumerated().map { ($0.offset + 1, $0.element) } }

    func listHypervisors(detail: Bool) -> @Sendable (ComputeCall) async throws -> Response {
        { call in
            try requireAdmin(call, "os_compute_api:os-hypervisors:\(detail ? "detail" : "list")")
            var rows = hypervisors
            if let pattern = call.query("hypervisor_hostname_pattern") { rows = rows.filter { $0.1.contains(pattern) } }
            return SimHTTP.json(["hypervisors": .array(rows.map { hypervisorJSON($0.0, host: $0.1, call: call, detail: detail) })])
        }
    }

    func showHypervisor(_ call: ComputeCall) async throws -> Response {
        try requireAdmin(call, "os_compute_api:os-hypervisors:show")
        let id = try call.param("hypervisor")
        let found = hypervisors.first { call.atLeast(2, 53) ? hypervisorUUID($0.0) == id : String($0.0) == id }
        guard let found else { throw SimulatorError.notFound("Hypervisor with ID '\(id)' could not be found.") }
        return SimHTTP.json(["hypervisor": hypervisorJSON(found.0, host: found.1, call: call, detail: true)])
    }

    func hypervisorStatistics(_ call: ComputeCall) async throws -> Response {
        guard !call.atLeast(2, 88) else { throw SimulatorError.notFound("The resource could not be found.") }
        try requireAdmin(call, "os_compute_api:os-hypervisors:statistics")
        let cap = Self.hypervisorCapacity
        let count = hypervisors.count
        let used = usedResources(now: call.now)
        return SimHTTP.json(["hypervisor_statistics": [
            "count": .int(count), "vcpus": .int(cap.vcpus * count), "vcpus_used": .int(used.vcpus),
            "memory_mb": .int(cap.memoryMB * count), "memory_mb_used": .int(used.ram),
            "free_ram_mb": .int(cap.memoryMB * count - used.ram), "local_gb": .int(cap.localGB * count),
            "local_gb_used": .int(used.disk), "free_disk_gb": .int(cap.localGB * count - used.disk),
            "disk_available_least": .int(cap.localGB * count - used.disk), "running_vms": .int(used.vms),
            "current_workload": 0,
        ]])
    }
}

/// The older hypervisor calls: uptime (until 2.87), search and servers by host name (until 2.52).
extension ComputeAPI {
    func hypervisorUptime(_ call: ComputeCall) async throws -> Response {
        guard !call.atLeast(2, 88) else { throw SimulatorError.notFound("The resource could not be found.") }
        try requireAdmin(call, "os_compute_api:os-hypervisors:uptime")
        let id = try call.param("hypervisor")
        let rows = computeHosts.enumerated().map { ($0.offset + 1, $0.element) }
        let modern = call.atLeast(2, 53)
        guard let found = rows.first(where: { modern ? SeedID.uuid("\(region.regionName)/hypervisor/\($0.0)") == id : String($0.0) == id }) else {
            throw SimulatorError.notFound("Hypervisor with ID '\(id)' could not be found.")
        }
        return SimHTTP.json(["hypervisor": [
            "id": modern ? .string(id) : .int(found.0), "hypervisor_hostname": .string(found.1), "state": "up", "status": "enabled",
            "uptime": " 10:00:00 up 1 day,  1 user,  load average: 0.10, 0.10, 0.10",
        ]])
    }

    /// `GET /os-hypervisors/{pattern}/search` and `/{pattern}/servers`: hypervisors whose host name
    /// contains the pattern (with their servers for the latter); 404 when none does.
    func hypervisorsMatching(servers withServers: Bool) -> @Sendable (ComputeCall) async throws -> Response {
        { call in
            guard !call.atLeast(2, 53) else { throw SimulatorError.notFound("The resource could not be found.") }
            try requireAdmin(call, "os_compute_api:os-hypervisors:\(withServers ? "servers" : "search")")
            let pattern = try call.param("hypervisor")
            let rows = computeHosts.enumerated().filter { $0.element.contains(pattern) }
            guard !rows.isEmpty else { throw SimulatorError.notFound("No hypervisor matching '\(pattern)' could be found.") }
            let servers: [JSONValue] = withServers ? store.compute.withLock { state in
                state.order.compactMap { id in
                    guard let s = state.servers[id], !s.isGone(at: call.now) else { return nil }
                    return ["uuid": .string(s.id), "name": .string(s.name)]
                }
            } : []
            return SimHTTP.json(["hypervisors": .array(rows.map { index, host in
                var o: [String: JSONValue] = [
                    "id": .int(index + 1), "hypervisor_hostname": .string(host), "state": "up", "status": "enabled",
                ]
                if withServers, !servers.isEmpty { o["servers"] = .array(servers) }
                return .object(o)
            })])
        }
    }
}

/// What an admin changed on a service (`PUT`/`DELETE /os-services`).
struct ServiceChange: Sendable {
    var disabled = false
    var reason: String?
    var forcedDown = false
    var deleted = false
}

/// Service updates: by action word and host/binary until 2.52, by UUID from 2.53; deletes by id.
extension ComputeAPI {
    func updateService(_ call: ComputeCall) async throws -> Response {
        let id = try call.param("service")
        let body = try await SimHTTP.body(call.request, context: call.context, format: .fault)
        guard let object = body.objectValue else { throw SimulatorError.badRequest("Malformed request body") }
        let rows = serviceRows
        if call.atLeast(2, 53) {
            try requireAdmin(call, "os_compute_api:os-services:update")
            guard var row = rows.first(where: { serviceUUID($0.number) == id }) else {
                throw SimulatorError.notFound("Service \(id) could not be found.")
            }
            if let status = object["status"]?.stringValue { row.change.disabled = status == "disabled" }
            if row.change.disabled { row.change.reason = object["disabled_reason"]?.stringValue ?? row.change.reason } else { row.change.reason = nil }
            if let down = object["forced_down"]?.boolValue { row.change.forcedDown = down }
            let change = row.change
            store.compute.withLock { $0.serviceChanges[row.number] = change }
            return SimHTTP.json(["service": serviceJSON(row, call: call)])
        }
        try requireAdmin(call, "os_compute_api:os-services:update")
        guard let host = object["host"]?.stringValue, let binary = object["binary"]?.stringValue else {
            throw SimulatorError.badRequest("Invalid input for field/attribute service. 'host' and 'binary' are required properties")
        }
        guard var row = rows.first(where: { $0.host == host && $0.binary == binary }) else {
            throw SimulatorError.notFound("Compute host \(host) with binary \(binary) could not be found.")
        }
        var answer: [String: JSONValue] = ["host": .string(host), "binary": .string(binary)]
        switch id {
        case "enable":
            row.change.disabled = false
            row.change.reason = nil
            answer["status"] = "enabled"
        case "disable", "disable-log-reason":
            row.change.disabled = true
            if id == "disable-log-reason" {
                row.change.reason = object["disabled_reason"]?.stringValue
                answer["disabled_reason"] = row.change.reason.map(JSONValue.string) ?? .null
            }
            answer["status"] = "disabled"
        case "force-down":
            row.change.forcedDown = object["forced_down"]?.boolValue ?? false
            answer["forced_down"] = .bool(row.change.forcedDown)
        default:
            throw SimulatorError.notFound("Unknown action")
        }
        let change = row.change
        store.compute.withLock { $0.serviceChanges[row.number] = change }
        return SimHTTP.json(["service": .object(answer)])
    }

    func deleteService(_ call: ComputeCall) async throws -> Response {
        try requireAdmin(call, "os_compute_api:os-services:delete")
        let id = try call.param("service")
        guard let row = serviceRows.first(where: { call.atLeast(2, 53) ? serviceUUID($0.number) == id : String($0.number) == id }) else {
            throw SimulatorError.notFound("Service \(id) could not be found.")
        }
        let now = call.now
        try store.compute.withLock { state in
            if row.binary == "nova-compute", state.servers.values.contains(where: { !$0.isGone(at: now) }) {
                throw SimulatorError.conflict("Unable to delete compute service that is hosting instances. Migrate or delete the instances first.")
            }
            var change = state.serviceChanges[row.number] ?? ServiceChange()
            change.deleted = true
            state.serviceChanges[row.number] = change
        }
        return SimHTTP.empty(status: 204)
    }
}
