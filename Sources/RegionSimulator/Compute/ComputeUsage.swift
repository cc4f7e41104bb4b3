import Foundation
import Hummingbird
import OpenStackModels

/// `os-simple-tenant-usage`: per project, what its servers used between `start` and `end` (both
/// default to now, as in Nova), in hours of vcpus, MiB and GiB.
extension ComputeAPI {
    private struct ServerUsage {
        var server: ServerRecord
        var flavor: Flavor?
        var hours: Double
    }

    private func period(_ call: ComputeCall) throws -> (start: Date, end: Date) {
        func parse(_ key: String) throws -> Date {
            guard let text = call.query(key) else { return call.now }
            guard let date = SimTime.parse(text) else {
                throw SimulatorError.badRequest("Invalid input received: Datetime is in invalid format")
            }
            return date
        }
        let start = try parse("start")
        let end = try parse("end")
        guard start <= end else { throw SimulatorError.badRequest("Invalid start time. The start time cannot occur after the end time.") }
        return (start, end)
    }

    private func usages(project: String?, start: Date, end: Date, now: Date) -> [ServerUsage] {
        store.compute.withLock { state in
            state.servers.values.compactMap { raw -> ServerUsage? in
                let server = raw.settled(at: now)
                guard project == nil || server.projectID == project, !server.isGone(at: now) else { return nil }
                let from = max(start, server.created)
                let to = min(end, now)
                let hours = max(0, to.timeIntervalSince(from)) / 3600
                guard server.created <= end else { return nil }
                return ServerUsage(server: server, flavor: state.flavors[server.flavorID]?.flavor, hours: hours)
            }.sorted { $0.server.created < $1.server.created }
        }
    }

    private func tenantUsage(_ project: String, _ rows: [ServerUsage], start: Date, end: Date, detailed: Bool, now: Date) -> JSONValue {
        var o: [String: JSONValue] = [
            "tenant_id": .string(project), "start": .string(SimTime.cinder(start)), "stop": .string(SimTime.cinder(end)),
            "total_hours": .number(rows.reduce(0) { $0 + $1.hours }),
            "total_vcpus_usage": .number(rows.reduce(0) { $0 + $1.hours * Double($1.flavor?.vcpus ?? 0) }),
            "total_memory_mb_usage": .number(rows.reduce(0) { $0 + $1.hours * Double($1.flavor?.ram ?? 0) }),
            "total_local_gb_usage": .number(rows.reduce(0) { $0 + $1.hours * Double($1.flavor?.disk ?? 0) }),
        ]
        if detailed {
            o["server_usages"] = .array(rows.map { row in
                [
                    "instance_id": .string(row.server.id), "name": .string(row.server.name), "tenant_id": .string(project),
                    "flavor": .string(row.flavor?.name ?? ""), "vcpus": .int(row.flavor?.vcpus ?? 0),
                    "memory_mb": .int(row.flavor?.ram ?? 0), "local_gb": .int(row.flavor?.disk ?? 0),
                    "hours": .number(row.hours), "started_at": .string(SimTime.cinder(row.server.created)),
                    "ended_at": .null, "state": .string(row.server.vmState),
                    "uptime": .int(Int(now.timeIntervalSince(row.server.created))),
                ]
            })
        }
        return .object(o)
    }

    func listTenantUsage(_ call: ComputeCall) async throws -> Response {
        try requireAdmin(call, "os_compute_api:os-simple-tenant-usage:list")
        let (start, end) = try period(call)
        let detailed = ["1", "true", "True"].contains(call.query("detailed") ?? "")
        let byProject = Dictionary(grouping: usages(project: nil, start: start, end: end, now: call.now), by: \.server.projectID)
        let items = byProject.keys.sorted().map { project in
            tenantUsage(project, byProject[project] ?? [], start: start, end: end, detailed: detailed, now: call.now)
        }
        return SimHTTP.json(["tenant_usages": .array(items)])
    }

    func showTenantUsage(_ call: ComputeCall) async throws -> Response {
        let project = try call.param("tenant")
        guard call.isAdmin || project == call.token.projectID else {
            throw SimulatorError.forbidden("Policy doesn't allow os_compute_api:os-simple-tenant-usage:show to be performed.")
        }
        let (start, end) = try period(call)
        let rows = usages(project: project, start: start, end: end, now: call.now)
        guard !rows.isEmpty else { return SimHTTP.json(["tenant_usage": [:]]) }
        return SimHTTP.json(["tenant_usage": tenantUsage(project, rows, start: start, end: end, detailed: true, now: call.now)])
    }
}
