import Foundation
import Hummingbird
import OpenStackModels

/// Cinder's admin views of the region's hosts: `os-services` (scheduler on the controller, the volume
/// service of the lvmdriver-1 backend) and `scheduler-stats/get_pools` (its one pool).
extension BlockStorageAPI {
    /// The volume service's host, as Cinder names it: `host@backend`.
    var volumeBackendHost: String { "\(region.regionName.lowercased())-volume-1@lvmdriver-1" }

    func listServices(_ call: VolumeCall) async throws -> Response {
        try requireAdmin(call, "volume_extension:services:index")
        let stamp = JSONValue.string(SimTime.cinder(call.now))
        var rows: [JSONValue] = [
            ["binary": "cinder-scheduler", "host": .string("\(region.regionName.lowercased())-controller"),
             "zone": .string(region.availabilityZone), "status": "enabled", "state": "up", "updated_at": stamp,
             "disabled_reason": .null],
            ["binary": "cinder-volume", "host": .string(volumeBackendHost), "zone": .string(region.availabilityZone),
             "status": "enabled", "state": "up", "updated_at": stamp, "disabled_reason": .null,
             "replication_status": "disabled", "active_backend_id": .null, "frozen": false],
        ]
        if call.atLeast(3, 7) { rows = rows.map { $0.merging(["cluster": .null]) } }
        if call.atLeast(3, 49) {
            rows = rows.map { $0["binary"] == "cinder-volume" ? $0.merging(["backend_state": "up"]) : $0 }
        }
        let host = call.query("host")
        let binary = call.query("binary")
        rows = rows.filter { (host == nil || Self.hostMatches($0["host"]?.stringValue, host ?? "")) && (binary == nil || $0["binary"]?.stringValue == binary) }
        return SimHTTP.json(["services": .array(rows)])
    }

    /// Cinder's `_filter_host`: a value with `#` names a pool (exact), with `@` a backend (exact or its
    /// pools), else a host (exact, or any backend or pool of it): `host=node1` finds `node1@lvmdriver-1`.
    static func hostMatches(_ candidate: String?, _ value: String) -> Bool {
        guard let candidate else { return false }
        if candidate == value { return true }
        if value.contains("#") { return false }
        if value.contains("@") { return candidate.hasPrefix(value + "#") }
        return candidate.hasPrefix(value + "@") || candidate.hasPrefix(value + "#")
    }

    func getPools(_ call: VolumeCall) async throws -> Response {
        try requireAdmin(call, "scheduler_extension:scheduler_stats:get_pools")
        let name = "\(volumeBackendHost)#lvmdriver-1"
        let detail = ["true", "True", "1"].contains(call.query("detail") ?? "")
        let used = store.volumes.withLock { state in state.volumes.values.reduce(0) { $0 + $1.size } }
        var pool: [String: JSONValue] = ["name": .string(name)]
        if detail {
            pool["capabilities"] = [
                "pool_name": "lvmdriver-1", "volume_backend_name": "lvmdriver-1", "vendor_name": "Open Source",
                "driver_version": "3.0.0", "storage_protocol": "iSCSI", "total_capacity_gb": 1000,
                "free_capacity_gb": .int(max(0, 1000 - used)), "allocated_capacity_gb": .int(used),
                "reserved_percentage": 0, "thin_provisioning_support": true, "thick_provisioning_support": false,
                "max_over_subscription_ratio": "20.0", "multiattach": true, "timestamp": .string(SimTime.cinder(call.now)),
            ]
        }
        return SimHTTP.json(["pools": [.object(pool)]])
    }
}

private extension JSONValue {
    func merging(_ other: [String: JSONValue]) -> JSONValue {
        guard case .object(var object) = self else { return self }
        object.merge(other) { _, new in new }
        return .object(object)
    }
}
