import Foundation

/// A Nova volume attachment (`/servers/{id}/os-volume_attachments`).
public struct VolumeAttachment: Codable, Sendable, Hashable {
    /// Before 2.89 equal to the volume id.
    public var id: String?
    public var serverID: String
    public var volumeID: String
    public var device: String?
    /// 2.70+.
    public var tag: String?
    /// 2.79+.
    public var deleteOnTermination: Bool?
    /// 2.89+.
    public var attachmentID: String?
    public var bdmUUID: String?

    enum CodingKeys: String, CodingKey {
        case id, device, tag
        case serverID = "serverId"
        case volumeID = "volumeId"
        case deleteOnTermination = "delete_on_termination"
        case attachmentID = "attachment_id"
        case bdmUUID = "bdm_uuid"
    }

    public init(id: String?, serverID: String, volumeID: String, device: String?) {
        self.id = id
        self.serverID = serverID
        self.volumeID = volumeID
        self.device = device
    }
}
