import Foundation
import Hummingbird
import OpenStackModels

extension BlockStorageAPI {
    func typeJSON(_ t: VolumeType, call: VolumeCall) -> JSONValue {
        var o: [String: JSONValue] = [
            "id": .string(t.id), "name": .string(t.name), "description": .string(t.description),
            "is_public": .bool(t.isPublic ?? true), "os-volume-type-access:is_public": .bool(t.isPublic ?? true),
            "qos_specs_id": .string(t.qosSpecsID),
        ]
        if call.isAdmin { o["extra_specs"] = .object((t.extraSpecs ?? [:]).mapValues { .string($0) }) }
        return .object(o)
    }

    func listTypes(_ call: VolumeCall) async throws -> Response {
        let types = store.volumes.withLock { state in state.types.values.sorted { $0.name < $1.name } }
        return SimHTTP.json(["volume_types": .array(types.filter { call.isAdmin || $0.isPublic != false }.map { typeJSON($0, call: call) })])
    }

    func showDefaultType(_ call: VolumeCall) async throws -> Response {
        let type = store.volumes.withLock { state in state.types[state.defaultTypeID] }
        guard let type else { throw SimulatorError.notFound("Default volume type can not be found.") }
        return SimHTTP.json(["volume_type": typeJSON(type, call: call)])
    }

    func showType(_ call: VolumeCall) async throws -> Response {
        let id = try call.param("id")
        guard let type = store.volumes.withLock({ $0.type(named: id) }) else {
            throw SimulatorError.notFound("Volume type \(id) could not be found.")
        }
        return SimHTTP.json(["volume_type": typeJSON(type, call: call)])
    }

    func createType(_ call: VolumeCall) async throws -> Response {
        try requireAdmin(call, "volume_extension:types_manage")
        let body = try await SimHTTP.body(call.request, context: call.context, format: .fault)
        let r = try SimHTTP.member(body, "volume_type", format: .fault)
        guard let name = r["name"]?.stringValue, !name.isEmpty else {
            throw SimulatorError.badRequest("Invalid input for field/attribute volume_type. 'name' is a required property")
        }
        let type = VolumeType(
            id: newUUID(), name: name, description: r["description"]?.stringValue,
            isPublic: r["os-volume-type-access:is_public"]?.boolValue ?? true,
            extraSpecs: r["extra_specs"]?.objectValue?.compactMapValues { $0.stringValue } ?? [:])
        try store.volumes.withLock { state in
            if state.types.values.contains(where: { $0.name == name }) {
                throw SimulatorError.conflict("Volume Type \(name) already exists.")
            }
            state.types[type.id] = type
        }
        return SimHTTP.json(["volume_type": typeJSON(type, call: call)])
    }

    func deleteType(_ call: VolumeCall) async throws -> Response {
        try requireAdmin(call, "volume_extension:types_manage")
        let id = try call.param("id")
        try store.volumes.withLock { state in
            guard let type = state.type(named: id) else { throw SimulatorError.notFound("Volume type \(id) could not be found.") }
            if type.id == state.defaultTypeID {
                throw SimulatorError.badRequest("Invalid volume type: Default volume type can not be deleted.")
            }
            if state.volumes.values.contains(where: { $0.volumeTypeID == type.id }) {
                throw SimulatorError.badRequest("Target volume type is still in use.")
            }
            state.types[type.id] = nil
        }
        return SimHTTP.empty(status: 202)
    }

    // MARK: Extra specs (Cinder looks the type up by id; names are accepted here too)

    private func withType<T>(_ call: VolumeCall, _ body: (inout VolumeType) throws -> T) throws -> T {
        let id = try call.param("id")
        return try store.volumes.withLock { state in
            guard var type = state.types[id] else { throw SimulatorError.notFound("Volume type \(id) could not be found.") }
            let result = try body(&type)
            state.types[id] = type
            return result
        }
    }

    func listExtraSpecs(_ call: VolumeCall) async throws -> Response {
        let specs = try withType(call) { $0.extraSpecs ?? [:] }
        return SimHTTP.json(["extra_specs": .object(specs.mapValues { .string($0) })])
    }

    func mergeExtraSpecs(_ call: VolumeCall) async throws -> Response {
        try requireAdmin(call, "volume_extension:types_extra_specs:create")
        let body = try await SimHTTP.body(call.request, context: call.context, format: .fault)
        let specs = try SimHTTP.member(body, "extra_specs", format: .fault).compactMapValues { $0.stringValue }
        try withType(call) { type in type.extraSpecs = (type.extraSpecs ?? [:]).merging(specs) { _, new in new } }
        return SimHTTP.json(["extra_specs": .object(specs.mapValues { .string($0) })])
    }

    func showExtraSpec(_ call: VolumeCall) async throws -> Response {
        let key = try call.param("key")
        let value = try withType(call) { $0.extraSpecs?[key] }
        guard let value else { throw SimulatorError.notFound("Volume Type \(try call.param("id")) has no extra specs with key \(key).") }
        return SimHTTP.json([key: .string(value)])
    }

    func setExtraSpec(_ call: VolumeCall) async throws -> Response {
        try requireAdmin(call, "volume_extension:types_extra_specs:update")
        let key = try call.param("key")
        let body = try await SimHTTP.body(call.request, context: call.context, format: .fault)
        guard let object = body.objectValue, object.count == 1, let value = object[key]?.stringValue else {
            throw SimulatorError.badRequest("Request body and URI mismatch")
        }
        try withType(call) { type in type.extraSpecs = (type.extraSpecs ?? [:]).merging([key: value]) { _, new in new } }
        return SimHTTP.json([key: .string(value)])
    }

    func deleteExtraSpec(_ call: VolumeCall) async throws -> Response {
        try requireAdmin(call, "volume_extension:types_extra_specs:delete")
        let key = try call.param("key")
        try withType(call) { type in
            guard type.extraSpecs?[key] != nil else {
                throw SimulatorError.notFound("Volume Type \(type.id) has no extra specs with key \(key).")
            }
            type.extraSpecs?[key] = nil
        }
        return SimHTTP.empty(status: 202)
    }

    func listZones(_ call: VolumeCall) async throws -> Response {
        SimHTTP.json(["availabilityZoneInfo": [["zoneName": .string(region.availabilityZone), "zoneState": ["available": true]]]])
    }

    func limits(_ call: VolumeCall) async throws -> Response {
        let project = call.token.projectID
        let (usage, q) = store.volumes.withLock { state in
            (state.usage(project: project), ["volumes", "gigabytes", "snapshots", "backups", "backup_gigabytes"].reduce(into: [String: Int]()) {
                $0[$1] = state.quota($1, project: project)
            })
        }
        return SimHTTP.json([
            "limits": [
                "rate": [],
                "absolute": [
                    "totalSnapshotsUsed": .int(usage.snapshots), "maxTotalBackups": .int(q["backups"] ?? -1),
                    "maxTotalVolumeGigabytes": .int(q["gigabytes"] ?? -1), "maxTotalSnapshots": .int(q["snapshots"] ?? -1),
                    "maxTotalBackupGigabytes": .int(q["backup_gigabytes"] ?? -1), "totalBackupGigabytesUsed": 0,
                    "maxTotalVolumes": .int(q["volumes"] ?? -1), "totalVolumesUsed": .int(usage.volumes),
                    "totalBackupsUsed": 0, "totalGigabytesUsed": .int(usage.gigabytes),
                ],
            ]
        ])
    }

    func showQuota(_ call: VolumeCall) async throws -> Response {
        let project = try call.param("project")
        guard call.isAdmin || project == call.token.projectID else {
            throw SimulatorError.forbidden("Policy doesn't allow volume_extension:quotas:show to be performed.")
        }
        let usageRequested = call.query("usage")?.lowercased() == "true"
        let (limits, usage) = store.volumes.withLock { state in
            (state.quotaDefaults.keys.reduce(into: [String: Int]()) { $0[$1] = state.quota($1, project: project) },
             state.usage(project: project))
        }
        var o: [String: JSONValue] = ["id": .string(project)]
        for (key, limit) in limits {
            if usageRequested {
                let used = key == "volumes" ? usage.volumes : key == "gigabytes" ? usage.gigabytes : key == "snapshots" ? usage.snapshots : 0
                o[key] = ["limit": .int(limit), "in_use": .int(used), "reserved": 0, "allocated": 0]
            } else {
                o[key] = .int(limit)
            }
        }
        return SimHTTP.json(["quota_set": .object(o)])
    }

    func showQuotaDefaults(_ call: VolumeCall) async throws -> Response {
        let project = try call.param("project")
        let defaults = store.volumes.withLock { $0.quotaDefaults }
        var o: [String: JSONValue] = defaults.mapValues { .int($0) }
        o["id"] = .string(project)
        return SimHTTP.json(["quota_set": .object(o)])
    }

    func updateQuota(_ call: VolumeCall) async throws -> Response {
        try requireAdmin(call, "volume_extension:quotas:update")
        let project = try call.param("project")
        let body = try await SimHTTP.body(call.request, context: call.context, format: .fault)
        let r = try SimHTTP.member(body, "quota_set", format: .fault)
        let limits = try store.volumes.withLock { state in
            for (key, value) in r {
                guard state.quotaDefaults[key] != nil, let n = value.intValue ?? value.stringValue.flatMap({ Int($0) }), n >= -1 else {
                    throw SimulatorError.badRequest("Invalid input for field/attribute quota_set. Bad key(s): \(key) in quota_set")
                }
                state.quotas[project, default: [:]][key] = n
            }
            return state.quotaDefaults.keys.reduce(into: [String: Int]()) { $0[$1] = state.quota($1, project: project) }
        }
        return SimHTTP.json(["quota_set": .object(limits.mapValues { .int($0) })])
    }
}
