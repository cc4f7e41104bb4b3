import Foundation

/// A record at the top that a crash left pointing at nothing: no pod holds it and no create is under way
/// that will (e.g. a port a boot made for a server the gateway never got to record).
public struct AuditTopRecord: Sendable, Codable, Equatable {
    /// What it is, in the API's own words (`port`).
    public var resourceType: String
    public var id: String
    public var projectID: String
    public var createdAt: String
    /// Why it is judged left behind.
    public var reason: String

    public init(resourceType: String, id: String, projectID: String, createdAt: String, reason: String) {
        self.resourceType = resourceType
        self.id = id
        self.projectID = projectID
        self.createdAt = createdAt
        self.reason = reason
    }

    enum CodingKeys: String, CodingKey {
        case resourceType = "resource_type", id, projectID = "project_id", createdAt = "created_at", reason
    }
}

/// A front-end whose own top records (not routing rows) a crash can strand; `tricircle audit` asks each
/// one, so the kit needs no knowledge of the front-end's tables.
public protocol TopRecordAuditing: Sendable {
    /// The `resourceType`s of the records this auditor finds and removes.
    var recordTypes: Set<String> { get }
    /// Records left behind that were made before `cutoff`; nothing a live request may still finish is returned.
    func strandedRecords(madeBefore cutoff: Date) async throws -> [AuditTopRecord]
    /// Removes one stranded record (and queues the removal of whatever pod copies it has). Safe to repeat;
    /// a record no longer stranded when reached is left alone.
    func remove(_ record: AuditTopRecord) async throws
}
