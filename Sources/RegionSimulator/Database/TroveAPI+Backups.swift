import Foundation
import Hummingbird
import OpenStackModels

/// Trove's backups: `POST /backups` of an ACTIVE instance (NEW, then COMPLETED), list, show, delete.
extension TroveAPI {
    func registerBackups(on router: Router<BasicRequestContext>, prefix p: String) {
        router.get(RouterPath(p + "/backups")) { request, context in
            await handle(request, context) { caller, id in
                let now = region.now()
                // `all_projects=true` (admins, Trove's `backup:index:all_projects`): every project's.
                let all = caller.isAdmin && (SimHTTP.query(request, "all_projects") ?? "").lowercased() == "true"
                let list = store.state.withLock { state in
                    state.backups.values.filter { all || $0.projectID == caller.projectID }
                        .sorted { ($0.created, $0.id) < ($1.created, $1.id) }.map { Self.render($0, now: now) }
                }
                return json(["backups": .array(list)], requestID: id)
            }
        }
        router.get(RouterPath(p + "/instances/:id/backups")) { request, context in
            await handle(request, context) { caller, id in
                let now = region.now()
                let instanceID = context.parameters.get("id") ?? ""
                let list = try withState { state in
                    _ = try state.visibleInstance(instanceID, project: caller.projectID)
                    return state.backups.values.filter { $0.instanceID == instanceID }
                        .sorted { ($0.created, $0.id) < ($1.created, $1.id) }.map { Self.render($0, now: now) }
                }
                return json(["backups": .array(list)], requestID: id)
            }
        }
        router.post(RouterPath(p + "/backups")) { request, context in
            await handle(request, context) { caller, id in
                let body = try await decode(request, JSONValue.self, key: "backup")
                guard let name = body["backup"]?["name"]?.stringValue, !name.isEmpty else {
                    throw TroveError.validation("backup['name'] is a required property")
                }
                guard let instanceID = body["backup"]?["instance"]?.stringValue else {
                    throw TroveError.validation("backup['instance'] is a required property")
                }
                let now = region.now()
                let seconds = transitionSeconds
                let backup = try withState { state -> TroveBackupRecord in
                    let instance = try state.visibleInstance(instanceID, project: caller.projectID)
                    guard instance.isActive else { throw TroveError.unprocessable(id: instance.id, status: instance.status) }
                    try checkQuota(state, project: caller.projectID, ["backups": 1])
                    let record = TroveBackupRecord(
                        id: TroveState.newID(), name: name, description: body["backup"]?["description"]?.stringValue,
                        projectID: caller.projectID, instanceID: instanceID, datastore: instance.datastore, size: 0.12,
                        created: now, completes: now.addingTimeInterval(seconds))
                    state.backups[record.id] = record
                    return record
                }
                return json(["backup": Self.render(backup, now: now)], requestID: id)
            }
        }
        router.get(RouterPath(p + "/backups/:backup")) { request, context in
            await handle(request, context) { caller, id in
                let wanted = context.parameters.get("backup") ?? ""
                let now = region.now()
                guard let backup = store.state.withLock({ $0.backups[wanted] }), backup.projectID == caller.projectID else {
                    throw TroveError.notFound(wanted)
                }
                return json(["backup": Self.render(backup, now: now)], requestID: id)
            }
        }
        router.delete(RouterPath(p + "/backups/:backup")) { request, context in
            await handle(request, context) { caller, id in
                let wanted = context.parameters.get("backup") ?? ""
                try store.state.withLock { state in
                    guard let backup = state.backups[wanted], backup.projectID == caller.projectID else { throw TroveError.notFound(wanted) }
                    state.backups[wanted] = nil
                }
                return SimHTTP.empty(status: 202, headers: [("x-openstack-request-id", id), ("Content-Type", "application/json")])
            }
        }
    }

    static func render(_ b: TroveBackupRecord, now: Date) -> JSONValue {
        let done = b.completes <= now
        return [
            "id": .string(b.id), "name": .string(b.name), "description": b.description.map { .string($0) } ?? .null,
            "instance_id": .string(b.instanceID), "project_id": .string(b.projectID),
            "status": .string(done ? "COMPLETED" : "NEW"), "size": done ? .number(b.size) : .null,
            "created": .string(TroveState.timestamp(b.created)),
            "updated": .string(TroveState.timestamp(done ? b.completes : b.created)),
            "datastore": ["type": .string(b.datastore.type), "version": b.datastore.version.map { .string($0) } ?? .null],
            "parent_id": .null, "storage_driver": "swift",
            "locationRef": done ? .string("http://swift/database_backups/\(b.id).xbstream.gz.enc") : .null,
        ]
    }
}
