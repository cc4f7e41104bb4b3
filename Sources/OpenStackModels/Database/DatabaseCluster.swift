import Foundation

/// A cluster's `task`: `{"id": 1, "name": "NONE", "description": "No tasks for the cluster."}`.
public struct DatabaseClusterTask: Codable, Sendable, Hashable {
    public var id: Int
    public var name: String
    public var description: String
    public init(id: Int, name: String, description: String) {
        self.id = id
        self.name = name
        self.description = description
    }

    // Trove's ClusterTasks, with their numeric ids.
    public static let none = Self(id: 1, name: "NONE", description: "No tasks for the cluster.")
    public static let buildingInitial = Self(id: 2, name: "BUILDING_INITIAL", description: "Building the initial cluster.")
    public static let deleting = Self(id: 3, name: "DELETING", description: "Deleting the cluster.")
    public static let growingCluster = Self(id: 5, name: "GROWING_CLUSTER", description: "Increasing the size of the cluster.")
    public static let shrinkingCluster = Self(id: 6, name: "SHRINKING_CLUSTER", description: "Decreasing the size of the cluster.")
}

/// A member as a cluster lists it.
public struct DatabaseClusterMember: Codable, Sendable, Hashable {
    public var id: String
    public var name: String
    public var type: String?
    public var status: String?
    public var links: [Link]
    public var flavor: DatabaseFlavorRef?
    public var volume: DatabaseVolume?
    public var region: String?
    public var availabilityZone: String?
    public var ip: [String]?

    enum CodingKeys: String, CodingKey {
        case id, name, type, status, links, flavor, volume, region, ip
        case availabilityZone = "availability_zone"
    }

    public init(
        id: String, name: String, type: String? = nil, status: String? = nil, links: [Link] = [],
        flavor: DatabaseFlavorRef? = nil, volume: DatabaseVolume? = nil, region: String? = nil,
        availabilityZone: String? = nil, ip: [String]? = nil
    ) {
        self.id = id
        self.name = name
        self.type = type
        self.status = status
        self.links = links
        self.flavor = flavor
        self.volume = volume
        self.region = region
        self.availabilityZone = availabilityZone
        self.ip = ip
    }
}

/// A Trove cluster as `GET /v1.0/{project_id}/clusters/{id}` returns it; members may sit in
/// several regions (Trove multi-region spec).
public struct DatabaseCluster: Codable, Sendable, Hashable {
    public var id: String
    public var name: String
    public var task: DatabaseClusterTask
    public var datastore: DatastoreRef
    public var instances: [DatabaseClusterMember]
    public var links: [Link]
    public var created: String
    public var updated: String
    public var ip: [String]?
    public var locality: String?

    public init(
        id: String, name: String, task: DatabaseClusterTask, datastore: DatastoreRef,
        instances: [DatabaseClusterMember], links: [Link] = [], created: String, updated: String,
        ip: [String]? = nil, locality: String? = nil
    ) {
        self.id = id
        self.name = name
        self.task = task
        self.datastore = datastore
        self.instances = instances
        self.links = links
        self.created = created
        self.updated = updated
        self.ip = ip
        self.locality = locality
    }
}

/// An `instances` entry of a cluster create or a `grow` action.
public struct DatabaseClusterInstanceSpec: Codable, Sendable, Hashable {
    public var name: String?
    public var flavorRef: String?
    public var volume: DatabaseVolume?
    public var availabilityZone: String?
    public var regionName: String?
    public var nics: [DatabaseNIC]?
    public var type: String?

    enum CodingKeys: String, CodingKey {
        case name, flavorRef, volume, nics, type, region
        case availabilityZone = "availability_zone"
        case regionName = "region_name"
    }

    public init(
        name: String? = nil, flavorRef: String, volume: DatabaseVolume? = nil, availabilityZone: String? = nil,
        regionName: String? = nil, nics: [DatabaseNIC]? = nil, type: String? = nil
    ) {
        self.name = name
        self.flavorRef = flavorRef
        self.volume = volume
        self.availabilityZone = availabilityZone
        self.regionName = regionName
        self.nics = nics
        self.type = type
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name)
        if let number = try? c.decodeIfPresent(Int.self, forKey: .flavorRef) {
            flavorRef = String(number)
        } else {
            flavorRef = try c.decodeIfPresent(String.self, forKey: .flavorRef)
        }
        volume = try c.decodeIfPresent(DatabaseVolume.self, forKey: .volume)
        availabilityZone = try c.decodeIfPresent(String.self, forKey: .availabilityZone)
        // python-troveclient sends `region`, Trove 25 reads `region_name`: both accepted.
        regionName = try c.decodeIfPresent(String.self, forKey: .regionName) ?? c.decodeIfPresent(String.self, forKey: .region)
        nics = try c.decodeIfPresent([DatabaseNIC].self, forKey: .nics)
        type = try c.decodeIfPresent(String.self, forKey: .type)
    }
}

extension DatabaseClusterInstanceSpec {
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(name, forKey: .name)
        try c.encodeIfPresent(flavorRef, forKey: .flavorRef)
        try c.encodeIfPresent(volume, forKey: .volume)
        try c.encodeIfPresent(availabilityZone, forKey: .availabilityZone)
        try c.encodeIfPresent(regionName, forKey: .regionName)
        try c.encodeIfPresent(nics, forKey: .nics)
        try c.encodeIfPresent(type, forKey: .type)
    }
}

/// The body of `POST /v1.0/{project_id}/clusters` (`{"cluster": {...}}`).
public struct DatabaseClusterCreate: Codable, Sendable, Hashable {
    public var name: String?
    public var datastore: DatastoreRef?
    public var instances: [DatabaseClusterInstanceSpec]?
    public var locality: String?
    public init(name: String, datastore: DatastoreRef, instances: [DatabaseClusterInstanceSpec], locality: String? = nil) {
        self.name = name
        self.datastore = datastore
        self.instances = instances
        self.locality = locality
    }
}

/// `{"cluster": {...}}`.
public struct DatabaseClusterEnvelope<Body: Codable & Sendable & Hashable>: Codable, Sendable, Hashable {
    public var cluster: Body
    public init(cluster: Body) { self.cluster = cluster }
}

/// `{"clusters": [...]}`.
public struct DatabaseClusterList: Codable, Sendable, Hashable {
    public var clusters: [DatabaseCluster]
    public var links: [Link]?
    public init(clusters: [DatabaseCluster], links: [Link]? = nil) {
        self.clusters = clusters
        self.links = links
    }
}

/// A `shrink` entry: `{"id": "..."}`.
public struct DatabaseClusterShrinkSpec: Codable, Sendable, Hashable {
    public var id: String
    public init(id: String) { self.id = id }
}

/// The body of `POST /clusters/{id}` (cluster actions): `{"grow": [...]}` or `{"shrink": [...]}`.
public struct DatabaseClusterAction: Codable, Sendable, Hashable {
    public var grow: [DatabaseClusterInstanceSpec]?
    public var shrink: [DatabaseClusterShrinkSpec]?
    public init(grow: [DatabaseClusterInstanceSpec]? = nil, shrink: [DatabaseClusterShrinkSpec]? = nil) {
        self.grow = grow
        self.shrink = shrink
    }
}
