/// A region registered with the gateway: the single top pod (empty AZ) or a bottom pod serving one AZ.
public struct Pod: Sendable, Codable, Hashable {
    public var podID: String
    /// Keystone region name; must exist in Keystone.
    public var regionName: String
    /// AZ at the top that this pod serves; empty for the top pod.
    public var azName: String
    /// AZ name used inside the pod (forwarded requests carry it instead of `azName`).
    public var podAZName: String
    public var dcName: String
    public var createdAt: String
    public var updatedAt: String

    public init(
        podID: String, regionName: String, azName: String, podAZName: String, dcName: String,
        createdAt: String, updatedAt: String
    ) {
        self.podID = podID
        self.regionName = regionName
        self.azName = azName
        self.podAZName = podAZName
        self.dcName = dcName
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// Whether this is the top pod (the region the gateway itself answers for).
    public var isTop: Bool { azName.isEmpty }

    /// The AZ to put in requests forwarded to this pod.
    public var bottomAZ: String { podAZName.isEmpty ? azName : podAZName }

    enum CodingKeys: String, CodingKey {
        case podID = "pod_id"
        case regionName = "region_name"
        case azName = "az_name"
        case podAZName = "pod_az_name"
        case dcName = "dc_name"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }
}
