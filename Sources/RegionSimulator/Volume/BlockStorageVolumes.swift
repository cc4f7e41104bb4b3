import Foundation
import Hummingbird
import OpenStackModels

extension BlockStorageAPI {
    func links(_ kind: String, _ id: String, call: VolumeCall) -> JSONValue {
        [
            ["rel": "self", "href": .string("\(call.prefix)/\(kind)/\(id)")],
            ["rel": "bookmark", "href": .string("\(call.base)/\(kind)/\(id)")],
        ]
    }

    func render(_ v: VolumeRecord, call: VolumeCall, types: [String: VolumeType]) -> JSONValue {
        var o: [String: JSONValue] = [
            "id": .string(v.id), "name": .string(v.name), "description": .string(v.description),
            "status": .string(v.status), "size": .int(v.size), "availability_zone": .string(v.availabilityZone),
            "bootable": .string(v.bootable ? "true" : "false"), "encrypted": false, "multiattach": .bool(v.multiattach),
            "volume_type": .string(types[v.volumeTypeID]?.name ?? v.volumeTypeID),
            "snapshot_id": .string(v.snapshotID), "source_volid": .string(v.sourceVolumeID),
            "metadata": .object(v.metadata.mapValues { .string($0) }), "links": links("volumes", v.id, call: call),
            "user_id": .string(v.userID), "created_at": .string(SimTime.cinder(v.created)),
            "updated_at": .string(SimTime.cinder(v.updated)), "replication_status": nil, "consistencygroup_id": nil,
            "os-vol-tenant-attr:tenant_id": .string(v.projectID),
            "attachments": .array(v.attachments.map { a in
                [
                    "id": .string(v.id), "attachment_id": .string(a.attachmentID), "volume_id": .string(v.id),
                    "server_id": .string(a.serverID), "host_name": .string(a.hostName), "device": .string(a.device),
                    "attached_at": .string(SimTime.cinder(a.attachedAt)),
                ]
            }),
        ]
        if let image = v.imageMetadata { o["volume_image_metadata"] = .object(image.mapValues { .string($0) }) }
        if call.isAdmin {
            o["os-vol-host-attr:host"] = .string("\(v.host)@lvmdriver-1#lvmdriver-1")
            o["os-vol-mig-status-attr:migstat"] = nil
            o["os-vol-mig-status-attr:name_id"] = nil
        }
        if call.atLeast(3, 13) { o["group_id"] = nil }
        if call.atLeast(3, 21), call.isAdmin { o["provider_id"] = nil }
        if call.atLeast(3, 48) {
            o["service_uuid"] = .string(SeedID.uuid("\(region.regionName)/cinder-volume"))
            o["shared_targets"] = true
        }
        if call.atLeast(3, 61), call.isAdmin { o["cluster_name"] = nil }
        if call.atLeast(3, 63) { o["volume_type_id"] = .string(v.volumeTypeID) }
        if call.atLeast(3, 65) { o["consumes_quota"] = true }
        return .object(o)
    }

    func findVolume(_ id: String, call: VolumeCall, in state: VolumeState) throws -> VolumeRecord {
        guard let v = state.volumes[id], v.projectID == call.token.projectID || call.isAdmin else {
            throw SimulatorError.notFound("Volume \(id) could not be found.")
        }
        return v.settled(at: call.now)
    }

    func listVolumes(detail: Bool) -> @Sendable (VolumeCall) async throws -> Response {
        { call in
            let q = call.request.uri.queryParameters
            let allTenants = call.isAdmin && (q.get("all_tenants").map { $0 != "0" && $0.lowercased() != "false" } ?? false)
            let project = allTenants ? q.get("project_id") : call.token.projectID
            let name = q.get("name")
            let status = q.get("status")
            let zone = q.get("availability_zone")
            let bootable = q.get("bootable")?.lowercased()
            var sortKeys: [(String, String)] = []
            if let sort = q.get("sort") {
                for part in sort.split(separator: ",") {
                    let pieces = part.split(separator: ":").map(String.init)
                    sortKeys.append((pieces[0], pieces.count > 1 ? pieces[1] : "desc"))
                }
            } else if let key = q.get("sort_key") {
                sortKeys.append((key, q.get("sort_dir") ?? "desc"))
            }
            let known: Set<String> = ["created_at", "updated_at", "id", "name", "display_name", "size", "status", "availability_zone", "bootable"]
            for (key, dir) in sortKeys where !known.contains(key) || (dir != "asc" && dir != "desc") {
                throw SimulatorError.badRequest("Invalid input received: Invalid sort key \(key) or direction \(dir)")
            }
            let limit = try q.get("limit").map { text -> Int in
                guard let n = Int(text), n >= 0 else { throw SimulatorError.badRequest("Invalid input received: limit must be an integer") }
                return n
            }
            let (volumes, types) = store.volumes.withLock { state -> ([VolumeRecord], [String: VolumeType]) in
                var out: [VolumeRecord] = []
                for id in state.order.reversed() {
                    guard let raw = state.volumes[id] else { continue }
                    if let project, raw.projectID != project { continue }
                    let v = raw.settled(at: call.now)
                    if let name, v.name != name { continue }
                    if let status, v.status != status { continue }
                    if let zone, v.availabilityZone != zone { continue }
                    if let bootable, (bootable == "true" || bootable == "1") != v.bootable { continue }
                    out.append(v)
                }
                return (out, state.types)
            }
            var sorted = volumes
            if !sortKeys.isEmpty {
                func value(_ v: VolumeRecord, _ key: String) -> String {
                    switch key {
                    case "updated_at": SimTime.cinder(v.updated)
                    case "id": v.id
                    case "name", "display_name": v.name ?? ""
                    case "size": String(format: "%09d", v.size)
                    case "status": v.status
                    case "availability_zone": v.availabilityZone
                    case "bootable": v.bootable ? "1" : "0"
                    default: SimTime.cinder(v.created)
                    }
                }
                sorted.sort { a, b in
                    for (key, dir) in sortKeys + [("id", sortKeys.last?.1 ?? "desc")] {
                        let va = value(a, key)
                        let vb = value(b, key)
                        if va != vb { return dir == "asc" ? va < vb : va > vb }
                    }
                    return false
                }
            }
            let (page, full) = try Self.page(sorted, id: { $0.id }, limit: limit, marker: q.get("marker"))
            var body: [String: JSONValue] = [
                "volumes": .array(page.map { v in
                    detail ? render(v, call: call, types: types) : ["id": .string(v.id), "name": .string(v.name), "links": links("volumes", v.id, call: call)]
                })
            ]
            if full, let last = page.last {
                body["volumes_links"] = [["rel": "next", "href": .string(nextLink(call: call, path: detail ? "volumes/detail" : "volumes", marker: last.id))]]
            }
            if call.atLeast(3, 45), q.get("with_count")?.lowercased() == "true" { body["count"] = .int(sorted.count) }
            return SimHTTP.json(.object(body))
        }
    }

    func showVolume(_ call: VolumeCall) async throws -> Response {
        let id = try call.param("id")
        let (v, types) = try store.volumes.withLock { state in (try findVolume(id, call: call, in: state), state.types) }
        return SimHTTP.json(["volume": render(v, call: call, types: types)])
    }

    func createVolume(_ call: VolumeCall) async throws -> Response {
        let body = try await SimHTTP.body(call.request, context: call.context, format: .fault)
        let r = try SimHTTP.member(body, "volume", format: .fault)
        let snapshotID = r["snapshot_id"]?.stringValue
        let sourceID = r["source_volid"]?.stringValue
        let backupID = r["backup_id"]?.stringValue
        let imageRef = r["imageRef"]?.stringValue
        var size = r["size"]?.intValue ?? r["size"]?.stringValue.flatMap { Int($0) }
        if size == nil, snapshotID == nil, sourceID == nil, backupID == nil {
            throw SimulatorError.badRequest("Invalid input for field/attribute size. Value: None. None is not of type 'integer', 'string'")
        }
        if let s = size, s < 1 {
            throw SimulatorError.badRequest("Invalid input received: Volume size '\(s)' must be an integer and greater than 0")
        }
        if let zone = r["availability_zone"]?.stringValue, zone != region.availabilityZone {
            throw SimulatorError.badRequest("Invalid input received: Availability zone '\(zone)' is invalid.")
        }
        var imageMetadata: [String: String]?
        if let imageRef {
            let image = store.images.withLock { state in state.images[imageRef]?.settled(at: call.now) }
            guard let image, image.status == "active" else {
                throw SimulatorError.badRequest("Invalid image identifier or unable to access requested image.")
            }
            let imageSize = image.object["size"]?.intValue ?? 0
            let neededGB = max(1, (imageSize + (1 << 30) - 1) >> 30)
            if let s = size, s < neededGB {
                throw SimulatorError.badRequest("Invalid input received: Size of specified image \(neededGB)GB is larger than volume size \(s)GB.")
            }
            imageMetadata = [
                "image_id": image.id, "image_name": image.object["name"]?.stringValue ?? "",
                "checksum": image.object["checksum"]?.stringValue ?? "",
                "container_format": image.object["container_format"]?.stringValue ?? "bare",
                "disk_format": image.object["disk_format"]?.stringValue ?? "raw",
                "min_disk": "0", "min_ram": "0", "size": String(imageSize),
            ]
        }
        let transition = self.transition
        let (v, types) = try store.volumes.withLock { state -> (VolumeRecord, [String: VolumeType]) in
            var typeID = state.defaultTypeID
            if let requested = r["volume_type"]?.stringValue {
                guard let type = state.type(named: requested) else {
                    throw SimulatorError.notFound("Volume type with name \(requested) could not be found.")
                }
                typeID = type.id
            }
            if let snapshotID {
                guard let snapshot = state.snapshots[snapshotID], snapshot.projectID == call.token.projectID || call.isAdmin else {
                    throw SimulatorError.notFound("Snapshot \(snapshotID) could not be found.")
                }
                size = max(size ?? snapshot.size, snapshot.size)
            }
            if let sourceID {
                let source = try findVolume(sourceID, call: call, in: state)
                size = max(size ?? source.size, source.size)
            }
            // Cinder's `validate_backup_size`: the backup's size when none is given, never less.
            if let backupID {
                guard let backup = state.backups[backupID], backup.projectID == call.token.projectID || call.isAdmin else {
                    throw SimulatorError.notFound("Backup \(backupID) could not be found.")
                }
                if let s = size, s < backup.size {
                    throw SimulatorError.badRequest(
                        "Invalid input received: Volume size \(s)GB cannot be smaller than the backup size \(backup.size)GB. It must be >= backup size.")
                }
                size = size ?? backup.size
            }
            let finalSize = size ?? 1
            let usage = state.usage(project: call.token.projectID)
            for (resource, used, add) in [("volumes", usage.volumes, 1), ("gigabytes", usage.gigabytes, finalSize)] {
                let limit = state.quota(resource, project: call.token.projectID)
                if limit >= 0, used + add > limit {
                    throw SimulatorError(
                        status: 413,
                        message: resource == "volumes"
                            ? "VolumeLimitExceeded: Maximum number of volumes allowed (\(limit)) exceeded for quota 'volumes'."
                            : "VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed gigabytes quota. Requested \(add)G, quota is \(limit)G and \(used)G has been consumed.",
                        name: "overLimit")
                }
            }
            let id = newUUID()
            let record = VolumeRecord(
                id: id, name: r["name"]?.stringValue, description: r["description"]?.stringValue, size: finalSize,
                status: "creating", pending: Pending(due: call.now.addingTimeInterval(transition), target: "available"),
                availabilityZone: region.availabilityZone, volumeTypeID: typeID, projectID: call.token.projectID,
                userID: call.token.userID, created: call.now, updated: call.now,
                metadata: r["metadata"]?.objectValue?.compactMapValues { $0.stringValue } ?? [:],
                bootable: imageRef != nil, multiattach: r["multiattach"]?.boolValue ?? false, snapshotID: snapshotID,
                sourceVolumeID: sourceID, imageMetadata: imageMetadata, host: "\(region.regionName.lowercased())-volume-1",
                request: r)
            state.volumes[id] = record
            state.order.append(id)
            return (record.settled(at: call.now), state.types)
        }
        return SimHTTP.json(["volume": render(v, call: call, types: types)], status: 202)
    }

    func updateVolume(_ call: VolumeCall) async throws -> Response {
        let id = try call.param("id")
        let body = try await SimHTTP.body(call.request, context: call.context, format: .fault)
        let r = try SimHTTP.member(body, "volume", format: .fault)
        let (v, types) = try store.volumes.withLock { state in
            var v = try findVolume(id, call: call, in: state)
            if let name = r["name"] ?? r["display_name"] { v.name = name.stringValue }
            if let description = r["description"] ?? r["display_description"] { v.description = description.stringValue }
            if let metadata = r["metadata"]?.objectValue { v.metadata = metadata.compactMapValues { $0.stringValue } }
            v.updated = call.now
            state.volumes[id] = v
            return (v, state.types)
        }
        return SimHTTP.json(["volume": render(v, call: call, types: types)])
    }

    func deleteVolume(_ call: VolumeCall) async throws -> Response {
        let id = try call.param("id")
        let cascade = call.query("cascade")?.lowercased() == "true"
        try store.volumes.withLock { state in
            let v = try findVolume(id, call: call, in: state)
            let hasSnapshots = state.snapshots.values.contains { $0.volumeID == id }
            let deletable: Set<String> = ["available", "error", "error_restoring", "error_extending", "error_managing"]
            guard deletable.contains(v.status), v.attachments.isEmpty, !hasSnapshots || cascade else {
                throw SimulatorError.badRequest("Invalid volume: Volume status must be available or error or error_restoring or error_extending or error_managing and must not be migrating, attached, belong to a group, have snapshots, awaiting a transfer, or be disassociated from snapshots after volume transfer.")
            }
            if cascade {
                for snapshot in state.snapshots.values where snapshot.volumeID == id { state.snapshots[snapshot.id] = nil }
                state.snapshotOrder.removeAll { state.snapshots[$0] == nil }
            }
            state.volumes[id] = nil
            state.order.removeAll { $0 == id }
        }
        return SimHTTP.empty(status: 202)
    }

    // MARK: Metadata

    func showVolumeMetadata(_ call: VolumeCall) async throws -> Response {
        let id = try call.param("id")
        let v = try store.volumes.withLock { try findVolume(id, call: call, in: $0) }
        return SimHTTP.json(["metadata": .object(v.metadata.mapValues { .string($0) })])
    }

    func mergeVolumeMetadata(_ call: VolumeCall) async throws -> Response {
        try await changeMetadata(call, replace: false)
    }

    func replaceVolumeMetadata(_ call: VolumeCall) async throws -> Response {
        try await changeMetadata(call, replace: true)
    }

    private func changeMetadata(_ call: VolumeCall, replace: Bool) async throws -> Response {
        let id = try call.param("id")
        let body = try await SimHTTP.body(call.request, context: call.context, format: .fault)
        guard let metadata = body["metadata"]?.objectValue?.compactMapValues({ $0.stringValue }) else {
            throw SimulatorError.badRequest("Malformed request body")
        }
        let v = try store.volumes.withLock { state in
            var v = try findVolume(id, call: call, in: state)
            if replace { v.metadata = metadata } else { v.metadata.merge(metadata) { _, new in new } }
            v.updated = call.now
            state.volumes[id] = v
            return v
        }
        return SimHTTP.json(["metadata": .object(v.metadata.mapValues { .string($0) })])
    }
}
