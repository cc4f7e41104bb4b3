import Foundation
import Hummingbird
import OpenStackModels

extension BlockStorageAPI {
    func renderSnapshot(_ s: SnapshotRecord, call: VolumeCall, detail: Bool) -> JSONValue {
        var o: [String: JSONValue] = [
            "id": .string(s.id), "name": .string(s.name), "description": .string(s.description),
            "status": .string(s.status), "size": .int(s.size), "volume_id": .string(s.volumeID),
            "created_at": .string(SimTime.cinder(s.created)), "updated_at": .string(SimTime.cinder(s.updated)),
            "metadata": .object(s.metadata.mapValues { .string($0) }),
        ]
        if detail {
            o["os-extended-snapshot-attributes:project_id"] = .string(s.projectID)
            o["os-extended-snapshot-attributes:progress"] = .string(s.status == "available" ? "100%" : "0%")
        }
        if call.atLeast(3, 14) { o["group_snapshot_id"] = nil }
        if call.atLeast(3, 41) { o["user_id"] = .string(s.userID) }
        if call.atLeast(3, 65) { o["consumes_quota"] = true }
        return .object(o)
    }

    func findSnapshot(_ id: String, call: VolumeCall, in state: VolumeState) throws -> SnapshotRecord {
        guard let s = state.snapshots[id], s.projectID == call.token.projectID || call.isAdmin else {
            throw SimulatorError.notFound("Snapshot \(id) could not be found.")
        }
        return s.settled(at: call.now)
    }

    func listSnapshots(detail: Bool) -> @Sendable (VolumeCall) async throws -> Response {
        { call in
            let q = call.request.uri.queryParameters
            let allTenants = call.isAdmin && (q.get("all_tenants").map { $0 != "0" } ?? false)
            let project = allTenants ? nil : call.token.projectID
            let volumeID = q.get("volume_id")
            let status = q.get("status")
            let name = q.get("name")
            let items = store.volumes.withLock { state in
                state.snapshotOrder.reversed().compactMap { id -> SnapshotRecord? in
                    guard let s = state.snapshots[id]?.settled(at: call.now) else { return nil }
                    if let project, s.projectID != project { return nil }
                    if let volumeID, s.volumeID != volumeID { return nil }
                    if let status, s.status != status { return nil }
                    if let name, s.name != name { return nil }
                    return s
                }
            }
            let sorted = try Self.sortSnapshots(
                items, sort: q.get("sort"), sortKey: q.get("sort_key"), sortDir: q.get("sort_dir"), nameSorts: call.atLeast(3, 30))
            let (page, full) = try Self.page(sorted, id: { $0.id }, limit: q.get("limit").flatMap { Int($0) }, marker: q.get("marker"))
            var body: [String: JSONValue] = ["snapshots": .array(page.map { renderSnapshot($0, call: call, detail: detail) })]
            if full, let last = page.last {
                body["snapshots_links"] = [["rel": "next", "href": .string(nextLink(call: call, path: detail ? "snapshots/detail" : "snapshots", marker: last.id))]]
            }
            return SimHTTP.json(.object(body))
        }
    }

    /// Cinder's `sort=key:dir,...` (or `sort_key`/`sort_dir`) for snapshots; ties broken by id in the
    /// last key's direction. Without a sort the list stays newest first.
    /// `nameSorts`: `name` is a sort key from 3.30 (SNAPSHOT_SORT); before, only the column `display_name` is.
    static func sortSnapshots(
        _ items: [SnapshotRecord], sort: String?, sortKey: String?, sortDir: String?, nameSorts: Bool
    ) throws -> [SnapshotRecord] {
        var keys: [(String, String)] = []
        if let sort {
            for part in sort.split(separator: ",") {
                let pieces = part.split(separator: ":").map(String.init)
                keys.append((pieces.first ?? "", pieces.count > 1 ? pieces[1] : "desc"))
            }
        } else if let sortKey {
            keys.append((sortKey, sortDir ?? "desc"))
        }
        guard !keys.isEmpty else { return items }
        var known: Set<String> = ["created_at", "updated_at", "id", "display_name", "size", "status", "volume_id"]
        if nameSorts { known.insert("name") }
        for (key, dir) in keys where !known.contains(key) || (dir != "asc" && dir != "desc") {
            throw SimulatorError.badRequest("Invalid input received: Invalid sort key \(key) or direction \(dir)")
        }
        func value(_ s: SnapshotRecord, _ key: String) -> String {
            switch key {
            case "updated_at": SimTime.cinder(s.updated)
            case "id": s.id
            case "name", "display_name": s.name ?? ""
            case "size": String(repeating: "0", count: max(0, 9 - String(s.size).count)) + String(s.size)
            case "status": s.status
            case "volume_id": s.volumeID
            default: SimTime.cinder(s.created)
            }
        }
        let all = keys + [("id", keys.last?.1 ?? "desc")]
        return items.sorted { a, b in
            for (key, dir) in all {
                let va = value(a, key), vb = value(b, key)
                if va != vb { return dir == "asc" ? va < vb : va > vb }
            }
            return false
        }
    }

    func showSnapshot(_ call: VolumeCall) async throws -> Response {
        let id = try call.param("id")
        let s = try store.volumes.withLock { try findSnapshot(id, call: call, in: $0) }
        return SimHTTP.json(["snapshot": renderSnapshot(s, call: call, detail: true)])
    }

    func createSnapshot(_ call: VolumeCall) async throws -> Response {
        let body = try await SimHTTP.body(call.request, context: call.context, format: .fault)
        let r = SnapshotCreate(object: try SimHTTP.member(body, "snapshot", format: .fault))
        guard let volumeID = r.volumeID else {
            throw SimulatorError.badRequest("Invalid input for field/attribute snapshot. Value: \(JSONValue.object(r.object)). 'volume_id' is a required property")
        }
        let force = r.force
        let transition = self.transition
        let s = try store.volumes.withLock { state -> SnapshotRecord in
            let v = try findVolume(volumeID, call: call, in: state)
            guard v.status == "available" || (force && v.status == "in-use") else {
                throw SimulatorError.badRequest("Invalid volume: Volume \(volumeID) status must be available, but current status is: \(v.status).")
            }
            let limit = state.quota("snapshots", project: call.token.projectID)
            if limit >= 0, state.usage(project: call.token.projectID).snapshots >= limit {
                throw SimulatorError(status: 413, message: "SnapshotLimitExceeded: Maximum number of snapshots allowed (\(limit)) exceeded", name: "overLimit")
            }
            let s = SnapshotRecord(
                id: newUUID(), name: r.name, description: r.description, volumeID: volumeID,
                size: v.size, status: "creating", pending: Pending(due: call.now.addingTimeInterval(transition), target: "available"),
                projectID: call.token.projectID, userID: call.token.userID, created: call.now, updated: call.now,
                metadata: r.metadata ?? [:])
            state.snapshots[s.id] = s
            state.snapshotOrder.append(s.id)
            return s.settled(at: call.now)
        }
        return SimHTTP.json(["snapshot": renderSnapshot(s, call: call, detail: true)], status: 202)
    }

    func updateSnapshot(_ call: VolumeCall) async throws -> Response {
        let id = try call.param("id")
        let body = try await SimHTTP.body(call.request, context: call.context, format: .fault)
        let r = try SimHTTP.member(body, "snapshot", format: .fault)
        let s = try store.volumes.withLock { state in
            var s = try findSnapshot(id, call: call, in: state)
            if let name = r["name"] { s.name = name.stringValue }
            if let description = r["description"] { s.description = description.stringValue }
            s.updated = call.now
            state.snapshots[id] = s
            return s
        }
        return SimHTTP.json(["snapshot": renderSnapshot(s, call: call, detail: true)])
    }

    func deleteSnapshot(_ call: VolumeCall) async throws -> Response {
        let id = try call.param("id")
        try store.volumes.withLock { state in
            let s = try findSnapshot(id, call: call, in: state)
            guard ["available", "error", "error_deleting"].contains(s.status) else {
                throw SimulatorError.badRequest("Invalid snapshot: Volume Snapshot status must be available or error.")
            }
            if state.volumes.values.contains(where: { $0.snapshotID == id }) {
                throw SimulatorError.badRequest("Invalid snapshot: Snapshot has dependent volumes.")
            }
            state.snapshots[id] = nil
            state.snapshotOrder.removeAll { $0 == id }
        }
        return SimHTTP.empty(status: 202)
    }
}
