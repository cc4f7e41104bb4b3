/// One row of the resource routing table: where a top resource lives (or is being created) in a pod.
public struct ResourceRouting: Sendable, Codable, Hashable {
    public var id: String
    public var topID: String
    /// Nil while the row is a create-lock ("create this resource in that pod" is in progress).
    public var bottomID: String?
    public var podID: String
    public var projectID: String
    public var resourceType: ResourceType
    public var createdAt: String
    public var updatedAt: String

    public init(
        id: String, topID: String, bottomID: String?, podID: String, projectID: String,
        resourceType: ResourceType, createdAt: String, updatedAt: String
    ) {
        self.id = id
        self.topID = topID
        self.bottomID = bottomID
        self.podID = podID
        self.projectID = projectID
        self.resourceType = resourceType
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// Whether the bottom resource exists (the row is not just a create-lock).
    public var isComplete: Bool { !(bottomID ?? "").isEmpty }

    enum CodingKeys: String, CodingKey {
        case id
        case topID = "top_id"
        case bottomID = "bottom_id"
        case podID = "pod_id"
        case projectID = "project_id"
        case resourceType = "resource_type"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }
}
