import Foundation
import OpenStackModels

/// A simulated Glance image: its JSON object (core attributes and properties) and its data.
struct ImageRecord: Sendable {
    var object: [String: JSONValue]
    var data: [UInt8]?
    var created: Date
    /// For images made by a region's Nova (createImage) or Cinder (os-volume_upload_image): queued until
    /// this time, then active with `data` and the size and hashes Glance would record for it.
    var activeAt: Date?

    var id: String { object["id"]?.stringValue ?? "" }
    var owner: String? { object["owner"]?.stringValue }
    var visibility: String { object["visibility"]?.stringValue ?? "shared" }
    var status: String { object["status"]?.stringValue ?? "queued" }

    func settled(at now: Date) -> ImageRecord {
        guard let activeAt, activeAt <= now else { return self }
        var copy = self
        copy.object["status"] = "active"
        copy.object["updated_at"] = .string(SimTime.iso(activeAt))
        copy.activeAt = nil
        if let data, copy.object["checksum"]?.stringValue == nil {
            let digests = ImageDigests(data: data)
            copy.object["size"] = .int(data.count)
            copy.object["checksum"] = .string(digests.md5)
            copy.object["os_hash_algo"] = "sha512"
            copy.object["os_hash_value"] = .string(digests.sha512)
        }
        return copy
    }

    mutating func settle(at now: Date) { self = settled(at: now) }
}

/// Glance's state in one region.
struct ImageState: Sendable {
    var images: [String: ImageRecord] = [:]
    var order: [String] = []
    /// The projects each shared image is shared with (`/v2/images/{id}/members`), by image id.
    var members: [String: [ImageMemberRecord]] = [:]
    /// Uploads still to be stored corrupted (`RegionStore.corruptNextImageUploads`).
    var corruptUploads = 0
    /// Largest upload accepted, as a storage quota would (`RegionStore.limitImageUploads`); nil: the service's.
    var uploadQuota: Int?
    /// Tasks imports left (`/v2/tasks`), by id, and their ids in creation order.
    var tasks: [String: [String: JSONValue]] = [:]
    var taskOrder: [String] = []

    static func seeded(regionName: String) -> ImageState {
        var state = ImageState()
        // A small stand-in for devstack's cirros image, with real data so checksums can be compared.
        let data = Array("simulated cirros disk image for \(regionName)\n".utf8)
        let id = SeedID.uuid("\(regionName)/image/cirros")
        let created = Date(timeIntervalSince1970: 1_700_000_000)
        var object = ImageState.baseObject(
            id: id, name: "cirros-0.6.2-x86_64-disk", owner: SeedID.uuid("project/admin"), visibility: "public",
            created: created)
        object["disk_format"] = "qcow2"
        object["container_format"] = "bare"
        object["hw_rng_model"] = "virtio"
        state.images[id] = ImageRecord(object: object, data: nil, created: created)
        state.order.append(id)
        state.store(data: data, into: id, at: created)
        return state
    }

    /// The core attributes of a new image, as Glance fills them.
    static func baseObject(id: String, name: String?, owner: String?, visibility: String, created: Date) -> [String: JSONValue] {
        let stamp = SimTime.iso(created)
        return [
            "id": .string(id), "name": .string(name), "status": "queued", "visibility": .string(visibility),
            "protected": false, "os_hidden": false, "checksum": nil, "os_hash_algo": nil, "os_hash_value": nil,
            "size": nil, "virtual_size": nil, "min_disk": 0, "min_ram": 0, "disk_format": nil,
            "container_format": nil, "owner": .string(owner), "tags": [], "created_at": .string(stamp),
            "updated_at": .string(stamp), "self": .string("/v2/images/\(id)"), "file": .string("/v2/images/\(id)/file"),
            "schema": "/v2/schemas/image",
        ]
    }

    /// Stores uploaded data and the hashes Glance computes; the image becomes active.
    mutating func store(data: [UInt8], into id: String, at now: Date) {
        guard var record = images[id] else { return }
        let digests = ImageDigests(data: data)
        record.data = data
        record.object["size"] = .int(data.count)
        record.object["virtual_size"] = nil
        record.object["checksum"] = .string(digests.md5)
        record.object["os_hash_algo"] = "sha512"
        record.object["os_hash_value"] = .string(digests.sha512)
        record.object["status"] = "active"
        record.object["updated_at"] = .string(SimTime.iso(now))
        images[id] = record
    }
}

extension RegionStore {
    /// Test tampering: uploads larger than `bytes` are refused with Glance's 413 "exceeds the storage
    /// quota" (nil: no quota).
    public func limitImageUploads(toBytes bytes: Int?) {
        images.withLock { $0.uploadQuota = bytes }
    }

    /// Test tampering: sets an image's status as Glance would after a failed upload (`killed`) or a
    /// deletion in progress (`pending_delete`); it no longer becomes active by itself. False: no such image.
    @discardableResult
    public func setImageStatus(_ id: String, _ status: String) -> Bool {
        images.withLock { state in
            guard var image = state.images[id] else { return false }
            image.activeAt = nil
            image.object["status"] = .string(status)
            state.images[id] = image
            return true
        }
    }

    /// Adds an image that a region service (Nova's createImage, Cinder's upload to image) is writing:
    /// queued until `activeAt`, then active with `data`. Takes only the image lock.
    func addServiceImage(id: String, object: [String: JSONValue], data: [UInt8], created: Date, activeAt: Date) {
        images.withLock { state in
            state.images[id] = ImageRecord(object: object, data: data, created: created, activeAt: activeAt)
            state.order.append(id)
        }
    }

    /// Nova's backup rotation: a server's backups of one type beyond the `keep` newest are deleted.
    func rotateBackups(serverID: String, backupType: String, keep: Int) {
        images.withLock { state in
            let backups = state.order.compactMap { state.images[$0] }.filter {
                $0.object["image_type"]?.stringValue == "backup" && $0.object["backup_type"]?.stringValue == backupType
                    && $0.object["instance_uuid"]?.stringValue == serverID
            }
            // Oldest first (creation order breaks ties of equal timestamps).
            for old in backups.dropLast(keep) {
                state.images[old.id] = nil
                state.order.removeAll { $0 == old.id }
            }
        }
    }

    /// Deterministic image data a region service writes for `seed` (several 64 KiB chunks, so a streamed
    /// transfer of it takes more than one read).
    static func serviceImageData(seed: String, bytes: Int = 200_000) -> [UInt8] {
        var data: [UInt8] = []
        data.reserveCapacity(bytes + 64)
        var block = 0
        while data.count < bytes {
            data.append(contentsOf: "\(seed) block \(block)\n".utf8)
            block += 1
        }
        return Array(data.prefix(bytes))
    }

    /// Test tampering: the next `count` image uploads in this region store data that differs from what
    /// was sent (first byte flipped), so its checksum and os_hash_value differ from the source's.
    public func corruptNextImageUploads(_ count: Int = 1) {
        images.withLock { $0.corruptUploads = max(0, count) }
    }
}
