import Foundation

/// A Cinder snapshot.
public struct VolumeSnapshot: Codable, Sendable, Hashable {
    public var id: String
    public var name: String?
    public var description: String?
    /// creating, available, deleting, error...
    public var status: String
    public var size: Int
    public var volumeID: String
    public var createdAt: String?
    public var updatedAt: String?
    public var metadata: [String: String]?
    public var projectID: String?
    public var progress: String?

    enum CodingKeys: String, CodingKey {
        case id, name, description, status, size, metadata
        case volumeID = "volume_id"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
        case projectID = "os-extended-snapshot-attributes:project_id"
        case progress = "os-extended-snapshot-attributes:progress"
    }

    public init(id: String, name: String?, description: String?, status: String, size: Int, volumeID: String,
                createdAt: String?, updatedAt: String? = nil, metadata: [String: String]? = [:], projectID: String? = nil,
                progress: String? = nil) {
        self.id = id
        self.name = name
        self.description = description
        self.status = status
        self.size = size
        self.volumeID = volumeID
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.metadata = metadata
        self.projectID = projectID
        self.progress = progress
    }
}

/// `POST /snapshots` body's `snapshot` object, kept whole for pass-through.
public struct SnapshotCreate: JSONObjectBacked {
    public var object: [String: JSONValue]
    public init(object: [String: JSONValue]) { self.object = object }

    /// The volume to snapshot (required by Cinder).
    public var volumeID: String? {
        get { string("volume_id") }
        set { set("volume_id", newValue) }
    }
    public var name: String? { string("name") }
    public var description: String? { string("description") }
    /// Whether an in-use volume may be snapshotted; Cinder takes a boolean or its text.
    public var force: Bool { bool("force") ?? (string("force")?.lowercased() == "true") }
    public var metadata: [String: String]? { stringMap("metadata") }
}
