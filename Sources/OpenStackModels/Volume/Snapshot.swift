import Foundation

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
