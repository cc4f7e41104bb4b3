import Foundation

/// `{"type": "mysql", "version": "5.7.29"}` as instances and clusters carry it.
public struct DatastoreRef: Codable, Sendable, Hashable {
    public var type: String
    public var version: String?
    public init(type: String, version: String? = nil) {
        self.type = type
        self.version = version
    }
}

/// `{"size": 2, "used": 0.1, "type": "lvmdriver-1"}`.
public struct DatabaseVolume: Codable, Sendable, Hashable {
    public var size: Int
    public var type: String?
    public var used: Double?
    public init(size: Int, type: String? = nil, used: Double? = nil) {
        self.size = size
        self.type = type
        self.used = used
    }

    enum CodingKeys: String, CodingKey { case size, type, used }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        // Trove's schema takes the size as an integer or a string of digits (python-troveclient's
        // `--instance volume=1` sends "1").
        if let number = try? c.decode(Int.self, forKey: .size) {
            size = number
        } else if let text = try? c.decode(String.self, forKey: .size), let number = Int(text) {
            size = number
        } else {
            throw DecodingError.typeMismatch(Int.self, .init(codingPath: c.codingPath + [CodingKeys.size], debugDescription: "size must be an integer"))
        }
        type = try c.decodeIfPresent(String.self, forKey: .type)
        used = try c.decodeIfPresent(Double.self, forKey: .used)
    }
}

/// An instance's `flavor`: `{"id": "...", "links": [...]}`.
public struct DatabaseFlavorRef: Codable, Sendable, Hashable {
    public var id: String
    public var links: [Link]
    public init(id: String, links: [Link] = []) {
        self.id = id
        self.links = links
    }
}

/// An entry of an instance's `addresses`.
public struct DatabaseAddress: Codable, Sendable, Hashable {
    public var address: String
    public var type: String
    public var network: String?
    public init(address: String, type: String = "private", network: String? = nil) {
        self.address = address
        self.type = type
        self.network = network
    }
}

/// A Trove database instance as `GET /v1.0/{project_id}/instances/{id}` returns it, with the
/// multi-region `region` field.
public struct DatabaseInstance: Codable, Sendable, Hashable {
    public var id: String
    public var name: String
    /// BUILD, ACTIVE, REBOOT, RESIZE, SHUTDOWN, ERROR, ...
    public var status: String
    public var operatingStatus: String?
    public var links: [Link]
    public var flavor: DatabaseFlavorRef
    public var volume: DatabaseVolume?
    public var datastore: DatastoreRef
    public var region: String
    public var availabilityZone: String?
    public var tenantID: String?
    public var created: String
    public var updated: String
    public var ip: [String]?
    public var addresses: [DatabaseAddress]?
    public var clusterID: String?
    public var shardID: String?
    /// The instance's role in a cluster ("member", "query_router", ...).
    public var type: String?
    public var replicaOf: DatabaseInstanceRef?
    /// A replication source's replicas.
    public var replicas: [DatabaseInstanceRef]?
    public var locality: String?
    /// The configuration group attached (`{"id", "name", "links"}`), when one is.
    public var configuration: DatabaseConfigurationRef?

    enum CodingKeys: String, CodingKey {
        case id, name, status, links, flavor, volume, datastore, region, created, updated, ip, addresses, type
        case locality, replicas, configuration
        case operatingStatus = "operating_status"
        case availabilityZone = "availability_zone"
        case tenantID = "tenant_id"
        case clusterID = "cluster_id"
        case shardID = "shard_id"
        case replicaOf = "replica_of"
    }

    public init(
        id: String, name: String, status: String, operatingStatus: String? = nil, links: [Link] = [],
        flavor: DatabaseFlavorRef, volume: DatabaseVolume?, datastore: DatastoreRef, region: String,
        availabilityZone: String? = nil, tenantID: String? = nil, created: String, updated: String,
        ip: [String]? = nil, addresses: [DatabaseAddress]? = nil, clusterID: String? = nil, shardID: String? = nil,
        type: String? = nil, replicaOf: DatabaseInstanceRef? = nil, locality: String? = nil,
        replicas: [DatabaseInstanceRef]? = nil, configuration: DatabaseConfigurationRef? = nil
    ) {
        self.replicas = replicas
        self.configuration = configuration
        self.id = id
        self.name = name
        self.status = status
        self.operatingStatus = operatingStatus
        self.links = links
        self.flavor = flavor
        self.volume = volume
        self.datastore = datastore
        self.region = region
        self.availabilityZone = availabilityZone
        self.tenantID = tenantID
        self.created = created
        self.updated = updated
        self.ip = ip
        self.addresses = addresses
        self.clusterID = clusterID
        self.shardID = shardID
        self.type = type
        self.replicaOf = replicaOf
        self.locality = locality
    }
}

/// `{"id": ..., "links": [...]}`, how instances point at other instances.
public struct DatabaseInstanceRef: Codable, Sendable, Hashable {
    public var id: String
    public var links: [Link]?
    public init(id: String, links: [Link]? = nil) {
        self.id = id
        self.links = links
    }
}

/// A `nics` entry (`{"net-id": ...}` or `{"port-id": ...}`).
public struct DatabaseNIC: Codable, Sendable, Hashable {
    public var netID: String?
    public var portID: String?
    public var fixedIP: String?
    enum CodingKeys: String, CodingKey {
        case netID = "net-id"
        case portID = "port-id"
        case fixedIP = "v4-fixed-ip"
    }
    public init(netID: String? = nil, portID: String? = nil, fixedIP: String? = nil) {
        self.netID = netID
        self.portID = portID
        self.fixedIP = fixedIP
    }
}

/// The body of `POST /v1.0/{project_id}/instances` (`{"instance": {...}}`).
public struct DatabaseInstanceCreate: Codable, Sendable, Hashable {
    public var name: String?
    public var flavorRef: String?
    public var volume: DatabaseVolume?
    public var datastore: DatastoreRef?
    public var availabilityZone: String?
    /// Multi-region spec: the region to build in (defaults to the region answering).
    public var regionName: String?
    public var nics: [DatabaseNIC]?
    public var databases: [JSONValue]?
    public var users: [JSONValue]?
    public var replicaOf: String?
    public var replicaCount: Int?
    public var locality: String?
    public var configuration: String?

    enum CodingKeys: String, CodingKey {
        case name, flavorRef, volume, datastore, nics, databases, users, locality, configuration, region
        case availabilityZone = "availability_zone"
        case regionName = "region_name"
        case replicaOf = "replica_of"
        case replicaCount = "replica_count"
    }

    public init(
        name: String, flavorRef: String, volume: DatabaseVolume? = nil, datastore: DatastoreRef? = nil,
        availabilityZone: String? = nil, regionName: String? = nil, nics: [DatabaseNIC]? = nil
    ) {
        self.name = name
        self.flavorRef = flavorRef
        self.volume = volume
        self.datastore = datastore
        self.availabilityZone = availabilityZone
        self.regionName = regionName
        self.nics = nics
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name)
        // Trove accepts flavorRef as an id string, an integer id or a flavor href.
        if let number = try? c.decodeIfPresent(Int.self, forKey: .flavorRef) {
            flavorRef = String(number)
        } else {
            flavorRef = try c.decodeIfPresent(String.self, forKey: .flavorRef)
        }
        volume = try c.decodeIfPresent(DatabaseVolume.self, forKey: .volume)
        datastore = try c.decodeIfPresent(DatastoreRef.self, forKey: .datastore)
        availabilityZone = try c.decodeIfPresent(String.self, forKey: .availabilityZone)
        // The spec called it `region`; Trove 25 reads `region_name`. Either is accepted.
        regionName = try c.decodeIfPresent(String.self, forKey: .regionName) ?? c.decodeIfPresent(String.self, forKey: .region)
        nics = try c.decodeIfPresent([DatabaseNIC].self, forKey: .nics)
        databases = try c.decodeIfPresent([JSONValue].self, forKey: .databases)
        users = try c.decodeIfPresent([JSONValue].self, forKey: .users)
        replicaOf = try c.decodeIfPresent(String.self, forKey: .replicaOf)
        replicaCount = try c.decodeIfPresent(Int.self, forKey: .replicaCount)
        locality = try c.decodeIfPresent(String.self, forKey: .locality)
        configuration = try c.decodeIfPresent(String.self, forKey: .configuration)
    }
}

extension DatabaseInstanceCreate {
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(name, forKey: .name)
        try c.encodeIfPresent(flavorRef, forKey: .flavorRef)
        try c.encodeIfPresent(volume, forKey: .volume)
        try c.encodeIfPresent(datastore, forKey: .datastore)
        try c.encodeIfPresent(availabilityZone, forKey: .availabilityZone)
        try c.encodeIfPresent(regionName, forKey: .regionName)
        try c.encodeIfPresent(nics, forKey: .nics)
        try c.encodeIfPresent(databases, forKey: .databases)
        try c.encodeIfPresent(users, forKey: .users)
        try c.encodeIfPresent(replicaOf, forKey: .replicaOf)
        try c.encodeIfPresent(replicaCount, forKey: .replicaCount)
        try c.encodeIfPresent(locality, forKey: .locality)
        try c.encodeIfPresent(configuration, forKey: .configuration)
    }
}

/// `{"instance": {...}}`.
public struct DatabaseInstanceEnvelope<Body: Codable & Sendable & Hashable>: Codable, Sendable, Hashable {
    public var instance: Body
    public init(instance: Body) { self.instance = instance }
}

/// `{"instances": [...], "links": [...]}`, a page of instances.
public struct DatabaseInstanceList: Codable, Sendable, Hashable {
    public var instances: [DatabaseInstance]
    public var links: [Link]?
    public init(instances: [DatabaseInstance], links: [Link]? = nil) {
        self.instances = instances
        self.links = links
    }
}

/// The body of `POST /instances/{id}/action`: one of `restart`, `resize` (flavor or volume), `stop`.
public enum DatabaseInstanceAction: Codable, Sendable, Hashable {
    case restart
    case resizeFlavor(flavorRef: String)
    case resizeVolume(size: Int)
    case stop
    case resetStatus
    /// Makes a replica its set's source (the old source becomes one of its replicas).
    case promoteToReplicaSource
    /// Removes a (failed) source from its set; one of its replicas becomes the source.
    case ejectReplicaSource

    private struct Keys: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
    private struct ResizeBody: Codable {
        var flavorRef: String?
        var volume: DatabaseVolume?
        init(flavorRef: String? = nil, volume: DatabaseVolume? = nil) {
            self.flavorRef = flavorRef
            self.volume = volume
        }
        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            if let number = try? c.decodeIfPresent(Int.self, forKey: .flavorRef) {
                flavorRef = String(number)
            } else {
                flavorRef = try c.decodeIfPresent(String.self, forKey: .flavorRef)
            }
            volume = try c.decodeIfPresent(DatabaseVolume.self, forKey: .volume)
        }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        let names = c.allKeys.map(\.stringValue)
        guard names.count == 1, let key = c.allKeys.first else {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "exactly one action expected"))
        }
        switch key.stringValue {
        case "restart": self = .restart
        case "stop": self = .stop
        case "reset_status": self = .resetStatus
        case "promote_to_replica_source": self = .promoteToReplicaSource
        case "eject_replica_source": self = .ejectReplicaSource
        case "resize":
            let body = try c.decode(ResizeBody.self, forKey: key)
            if let flavor = body.flavorRef {
                self = .resizeFlavor(flavorRef: flavor)
            } else if let volume = body.volume {
                self = .resizeVolume(size: volume.size)
            } else {
                throw DecodingError.dataCorrupted(.init(codingPath: [key], debugDescription: "resize needs flavorRef or volume"))
            }
        default:
            throw DecodingError.dataCorrupted(.init(codingPath: [key], debugDescription: "unknown action \(key.stringValue)"))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        switch self {
        case .restart: try c.encode([String: String](), forKey: Keys(stringValue: "restart"))
        case .stop: try c.encode([String: String](), forKey: Keys(stringValue: "stop"))
        case .resetStatus: try c.encode([String: String](), forKey: Keys(stringValue: "reset_status"))
        case .promoteToReplicaSource: try c.encode([String: String](), forKey: Keys(stringValue: "promote_to_replica_source"))
        case .ejectReplicaSource: try c.encode([String: String](), forKey: Keys(stringValue: "eject_replica_source"))
        case .resizeFlavor(let flavor):
            try c.encode(ResizeBody(flavorRef: flavor), forKey: Keys(stringValue: "resize"))
        case .resizeVolume(let size):
            try c.encode(ResizeBody(volume: DatabaseVolume(size: size)), forKey: Keys(stringValue: "resize"))
        }
    }
}
