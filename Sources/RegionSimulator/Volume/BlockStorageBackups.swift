import Foundation
import Hummingbird
import OpenStackModels

/// A simulated Cinder backup of a volume (its data stays in the region).
struct BackupRecord: SettlingRecord {
    var id: String
    var name: String?
    var description: String?
    var volumeID: String
    var size: Int
    var status: String
    var pending: Pending<String>?
    var projectID: String
    var userID: String
    var availabilityZone: String
    var created: Date
    var updated: Date
    var incremental: Bool
}

/// Cinder's `/backups`: create (413 `BackupLimitExceeded` / `VolumeBackupSizeExceedsAvailableQuota` on
/// the region's own quota), list (summary and detail, newest first, paged), show, delete and restore (to a
/// new volume of the backup's size, or onto an available volume at least that large).
extension BlockStorageAPI {
    func renderBackup(_ b: BackupRecord, call: VolumeCall, detail: Bool) -> JSONValue {
        let links: JSONValue = [
            ["rel": "self", "href": .string("\(call.prefix)/backups/\(b.id)")],
            ["rel": "bookmark", "href": .string("\(call.base)/backups/\(b.id)")],
        ]
        guard detail else { return ["id": .string(b.id), "name": b.name.map(JSONValue.string) ?? .null, "links": links] }
        var o: [String: JSONValue] = [
            "id": .string(b.id), "name": b.name.map(JSONValue.string) ?? .null,
            "description": b.description.map(JSONValue.string) ?? .null, "status": .string(b.status), "size": .int(b.size),
            "volume_id": .string(b.volumeID), "snapshot_id": .null, "availability_zone": .string(b.availabilityZone),
            "container": .string("volumebackups"), "object_count": .int(b.status == "available" ? 1 : 0), "fail_reason": .null,
            "is_incremental": .bool(b.incremental), "has_dependent_backups": false,
            "created_at": .string(SimTime.cinder(b.created)), "updated_at": .string(SimTime.cinder(b.updated)),
            "data_timestamp": .string(SimTime.cinder(b.created)), "links": links,
        ]
        if call.atLeast(3, 18), call.isAdmin { o["os-backup-project-attr:project_id"] = .string(b.projectID) }
        if call.atLeast(3, 43) { o["metadata"] = [:] }
        if call.atLeast(3, 56) { o["user_id"] = .string(b.userID) }
        return .object(o)
    }

    func findBackup(_ id: String, call: VolumeCall, in state: VolumeState) throws -> BackupRecord {
        guard let b = state.backups[id], b.projectID == call.token.projectID || call.isAdmin else {
            throw SimulatorError.notFound("Backup \(id) could not be found.")
        }
        return b.settled(at: call.now)
    }

    func listBackups(detail: Bool) -> @Sendable (VolumeCall) async throws -> Response {
        { call in
            let q = call.request.uri.queryParameters
            let allTenants = call.isAdmin && (q.get("all_tenants").map { $0 != "0" } ?? false)
            let project = allTenants ? nil : call.token.projectID
            let volumeID = q.get("volume_id")
            let status = q.get("status")
            let name = q.get("name")
            var items = store.volumes.withLock { state in
                state.backupOrder.reversed().compactMap { id -> BackupRecord? in
                    guard let b = state.backups[id]?.settled(at: call.now) else { return nil }
                    if let project, b.projectID != project { return nil }
                    if let volumeID, b.volumeID != volumeID { return nil }
                    if let status, b.status != status { return nil }
                    if let name, b.name != name { return nil }
                    return b
                }
            }
            // `sort=key:dir`: the first key (created_at, id, name, size, status); ties by id the same way.
            if let sort = q.get("sort")?.split(separator: ",").first {
                let parts = sort.split(separator: ":")
                let ascending = parts.count < 2 || parts[1] != "desc"
                let key = String(parts.first ?? "created_at")
                func value(_ b: BackupRecord) -> String {
                    switch key {
                    case "id": b.id
                    case "name": b.name ?? ""
                    case "size": String(format: "%012d", b.size)
                    case "status": b.status
                    default: SimTime.cinder(b.created)
                    }
                }
                items.sort { ascending ? (value($0), $0.id) < (value($1), $1.id) : (value($0), $0.id) > (value($1), $1.id) }
            }
            let (page, full) = try Self.page(items, id: { $0.id }, limit: q.get("limit").flatMap { Int($0) }, marker: q.get("marker"))
            var body: [String: JSONValue] = ["backups": .array(page.map { renderBackup($0, call: call, detail: detail) })]
            if full, let last = page.last {
                body["backups_links"] = [["rel": "next", "href": .string(nextLink(call: call, path: detail ? "backups/detail" : "backups", marker: last.id))]]
            }
            return SimHTTP.json(.object(body))
        }
    }

    func showBackup(_ call: VolumeCall) async throws -> Response {
        let id = try call.param("id")
        let b = try store.volumes.withLock { try findBackup(id, call: call, in: $0) }
        return SimHTTP.json(["backup": renderBackup(b, call: call, detail: true)])
    }

    func createBackup(_ call: VolumeCall) async throws -> Response {
        let body = try await SimHTTP.body(call.request, context: call.context, format: .fault)
        let r = try SimHTTP.member(body, "backup", format: .fault)
        guard let volumeID = r["volume_id"]?.stringValue else {
            throw SimulatorError.badRequest("Invalid input for field/attribute backup. Value: \(JSONValue.object(r)). 'volume_id' is a required property")
        }
        let force = r["force"]?.boolValue ?? false
        let transition = self.transition
        let zone = region.availabilityZone
        let b = try store.volumes.withLock { state -> BackupRecord in
            let v = try findVolume(volumeID, call: call, in: state)
            guard v.status == "available" || (force && v.status == "in-use") else {
                throw SimulatorError.badRequest("Invalid volume: Volume to be backed up must be available or in-use, but the current status is \"\(v.status)\".")
            }
            let project = call.token.projectID
            let held = state.backups.values.filter { $0.projectID == project }
            let count = state.quota("backups", project: project)
            if count >= 0, held.count + 1 > count {
                throw SimulatorError(status: 413, message: "Maximum number of backups allowed (\(count)) exceeded", name: "overLimit")
            }
            let gigabytes = state.quota("backup_gigabytes", project: project)
            let used = held.reduce(0) { $0 + $1.size }
            if gigabytes >= 0, used + v.size > gigabytes {
                throw SimulatorError(
                    status: 413,
                    message: "Requested backup exceeds allowed Backup gigabytes quota. Requested \(v.size)G, quota is \(gigabytes)G and \(used)G has been consumed.",
                    name: "overLimit")
            }
            let b = BackupRecord(
                id: newUUID(), name: r["name"]?.stringValue, description: r["description"]?.stringValue, volumeID: volumeID,
                size: v.size, status: "creating", pending: Pending(due: call.now.addingTimeInterval(transition), target: "available"),
                projectID: project, userID: call.token.userID, availabilityZone: zone, created: call.now, updated: call.now,
                incremental: r["incremental"]?.boolValue ?? false)
            state.backups[b.id] = b
            state.backupOrder.append(b.id)
            return b
        }
        // Cinder's create answer names only the backup (id, name, links).
        return SimHTTP.json(["backup": renderBackup(b, call: call, detail: false)], status: 202)
    }

    func deleteBackup(_ call: VolumeCall) async throws -> Response {
        let id = try call.param("id")
        try store.volumes.withLock { state in
            let b = try findBackup(id, call: call, in: state)
            guard ["available", "error"].contains(b.status) else {
                throw SimulatorError.badRequest("Invalid backup: Backup status must be available or error")
            }
            state.backups[id] = nil
            state.backupOrder.removeAll { $0 == id }
        }
        return SimHTTP.empty(status: 202)
    }

    /// `POST /backups/{id}/restore`: onto `volume_id` (available, at least the backup's size) or into a
    /// new volume of the backup's size (counted in the region's volumes and gigabytes quota).
    func restoreBackup(_ call: VolumeCall) async throws -> Response {
        let id = try call.param("id")
        let body = try await SimHTTP.body(call.request, context: call.context, format: .fault)
        let r = try SimHTTP.member(body, "restore", format: .fault)
        let transition = self.transition
        let zone = region.availabilityZone
        let host = "\(region.regionName.lowercased())-volume-1"
        let (volumeID, volumeName) = try store.volumes.withLock { state -> (String, String?) in
            let b = try findBackup(id, call: call, in: state)
            guard b.status == "available" else {
                throw SimulatorError.badRequest("Invalid backup: Backup status must be available")
            }
            let due = Pending(due: call.now.addingTimeInterval(transition), target: "available")
            if let target = r["volume_id"]?.stringValue {
                var v = try findVolume(target, call: call, in: state)
                guard v.status == "available" else {
                    throw SimulatorError.badRequest("Invalid volume: Volume to be restored to must be available")
                }
                guard v.size >= b.size else {
                    throw SimulatorError.badRequest("Invalid volume: volume size \(v.size) is too small to restore backup of size \(b.size).")
                }
                v.status = "restoring-backup"
                v.pending = due
                v.updated = call.now
                state.volumes[target] = v
                return (target, v.name)
            }
            let usage = state.usage(project: call.token.projectID)
            for (resource, used, add) in [("volumes", usage.volumes, 1), ("gigabytes", usage.gigabytes, b.size)] {
                let limit = state.quota(resource, project: call.token.projectID)
                if limit >= 0, used + add > limit {
                    throw SimulatorError(
                        status: 413,
                        message: resource == "volumes"
                            ? "Maximum number of volumes allowed (\(limit)) exceeded for quota 'volumes'."
                            : "Requested volume or snapshot exceeds allowed gigabytes quota. Requested \(add)G, quota is \(limit)G and \(used)G has been consumed.",
                        name: "overLimit")
                }
            }
            let name = r["name"]?.stringValue ?? "restore_backup_\(b.id)"
            let v = VolumeRecord(
                id: newUUID(), name: name, description: nil, size: b.size, status: "restoring-backup", pending: due,
                availabilityZone: zone, volumeTypeID: state.defaultTypeID, projectID: call.token.projectID,
                userID: call.token.userID, created: call.now, updated: call.now, metadata: [:], bootable: false, host: host,
                request: [:])
            state.volumes[v.id] = v
            state.order.append(v.id)
            return (v.id, name)
        }
        return SimHTTP.json(
            ["restore": ["backup_id": .string(id), "volume_id": .string(volumeID), "volume_name": volumeName.map(JSONValue.string) ?? .null]],
            status: 202)
    }
}
