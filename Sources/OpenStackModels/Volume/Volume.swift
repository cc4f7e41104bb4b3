import Foundation

/// A Cinder volume (`GET /v3/{project}/volumes/{id}`), kept whole across microversions.
public struct Volume: JSONObjectBacked {
    public var object: [String: JSONValue]
    public init(object: [String: JSONValue]) { self.object = object }

    public var id: String { string("id") ?? "" }
    public var name: String? { string("name") }
    /// creating, available, reserved, attaching, detaching, in-use, maintenance, deleting, error, extending...
    public var status: String? { string("status") }
    public var size: Int? { int("size") }
    public var availabilityZone: String? { string("availability_zone") }
    public var volumeType: String? { string("volume_type") }
    public var bootable: Bool? { string("bootable").map { $0 == "true" } }
    public var projectID: String? { string("os-vol-tenant-attr:tenant_id") }
    public var metadata: [String: String]? { stringMap("metadata") }
    public var attachments: [VolumeServerAttachment]? { typed("attachments", as: [VolumeServerAttachment].self) }
    public var createdAt: String? { string("created_at") }
    public var updatedAt: String? { string("updated_at") }
}

/// One entry of a volume's `attachments`.
public struct VolumeServerAttachment: Codable, Sendable, Hashable {
    public var id: String?
    public var attachmentID: String?
    public var volumeID: String?
    public var serverID: String?
    public var hostName: String?
    public var device: String?
    public var attachedAt: String?
    enum CodingKeys: String, CodingKey {
        case id, device
        case attachmentID = "attachment_id"
        case volumeID = "volume_id"
        case serverID = "server_id"
        case hostName = "host_name"
        case attachedAt = "attached_at"
    }
    public init(attachmentID: String, volumeID: String, serverID: String, device: String?, attachedAt: String?) {
        self.id = volumeID
        self.attachmentID = attachmentID
        self.volumeID = volumeID
        self.serverID = serverID
        self.device = device
        self.attachedAt = attachedAt
    }
}

/// `GET /volumes` and `/volumes/detail` answers.
public struct VolumeList: Codable, Sendable, Hashable {
    public var volumes: [Volume]
    public var volumesLinks: [Link]?
    /// With `with_count=true` (3.45+).
    public var count: Int?
    enum CodingKeys: String, CodingKey {
        case volumes, count
        case volumesLinks = "volumes_links"
    }
    public init(volumes: [Volume], volumesLinks: [Link]? = nil, count: Int? = nil) {
        self.volumes = volumes
        self.volumesLinks = volumesLinks
        self.count = count
    }
    /// Marker for the next page, if there is one.
    public var nextMarker: String? { Link.next(in: volumesLinks).flatMap { paginationMarker(fromNextHref: $0.href) } }
}
