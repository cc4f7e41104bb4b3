import Foundation

/// A Neutron subnet pool (`subnet_allocation`): prefixes subnets are carved from.
public struct SubnetPool: Codable, Sendable, Hashable {
    public var id: String
    public var name: String
    public var description: String
    public var projectID: String
    public var tenantID: String
    public var prefixes: [String]
    public var defaultPrefixlen: Int
    public var minPrefixlen: Int
    public var maxPrefixlen: Int
    @ExplicitNull public var defaultQuota: Int?
    public var ipVersion: Int
    public var shared: Bool
    public var isDefault: Bool
    @ExplicitNull public var addressScopeID: String?
    public var tags: [String]
    public var createdAt: String
    public var updatedAt: String
    public var revisionNumber: Int

    enum CodingKeys: String, CodingKey {
        case id, name, description, prefixes, shared, tags
        case projectID = "project_id"
        case tenantID = "tenant_id"
        case defaultPrefixlen = "default_prefixlen"
        case minPrefixlen = "min_prefixlen"
        case maxPrefixlen = "max_prefixlen"
        case defaultQuota = "default_quota"
        case ipVersion = "ip_version"
        case isDefault = "is_default"
        case addressScopeID = "address_scope_id"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
        case revisionNumber = "revision_number"
    }

    public init(id: String, name: String, description: String, projectID: String, prefixes: [String],
                defaultPrefixlen: Int, minPrefixlen: Int, maxPrefixlen: Int, defaultQuota: Int?, ipVersion: Int,
                shared: Bool, isDefault: Bool, addressScopeID: String?, tags: [String], createdAt: String, updatedAt: String,
                revisionNumber: Int = 0) {
        self.id = id
        self.name = name
        self.description = description
        self.projectID = projectID
        self.tenantID = projectID
        self.prefixes = prefixes
        self.defaultPrefixlen = defaultPrefixlen
        self.minPrefixlen = minPrefixlen
        self.maxPrefixlen = maxPrefixlen
        self.defaultQuota = defaultQuota
        self.ipVersion = ipVersion
        self.shared = shared
        self.isDefault = isDefault
        self.addressScopeID = addressScopeID
        self.tags = tags
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.revisionNumber = revisionNumber
    }
}

/// The body of `POST /v2.0/subnetpools` (and, all optional, of an update).
public struct SubnetPoolRequest: Codable, Sendable, Hashable {
    public var name: String?
    public var description: String?
    public var projectID: String?
    public var tenantID: String?
    public var prefixes: [String]?
    public var defaultPrefixlen: Int?
    public var minPrefixlen: Int?
    public var maxPrefixlen: Int?
    public var defaultQuota: NullableField<Int>
    public var shared: Bool?
    public var isDefault: Bool?
    public var addressScopeID: NullableField<String>
    public var tags: [String]?

    enum CodingKeys: String, CodingKey {
        case name, description, prefixes, shared, tags
        case projectID = "project_id"
        case tenantID = "tenant_id"
        case defaultPrefixlen = "default_prefixlen"
        case minPrefixlen = "min_prefixlen"
        case maxPrefixlen = "max_prefixlen"
        case defaultQuota = "default_quota"
        case isDefault = "is_default"
        case addressScopeID = "address_scope_id"
    }

    /// Attribute names a create may carry.
    public static let createAttributes: Set<String> = Set(
        [CodingKeys.name, .description, .projectID, .tenantID, .prefixes, .defaultPrefixlen, .minPrefixlen, .maxPrefixlen,
         .defaultQuota, .shared, .isDefault, .addressScopeID, .tags].map(\.rawValue))
    /// Attribute names an update may carry (Neutron: no project, no `shared` after create).
    public static let updateAttributes: Set<String> = Set(
        [CodingKeys.name, .description, .prefixes, .defaultPrefixlen, .minPrefixlen, .maxPrefixlen, .defaultQuota,
         .isDefault, .addressScopeID].map(\.rawValue))

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name)
        description = try c.decodeIfPresent(String.self, forKey: .description)
        projectID = try c.decodeIfPresent(String.self, forKey: .projectID)
        tenantID = try c.decodeIfPresent(String.self, forKey: .tenantID)
        prefixes = try c.decodeIfPresent([String].self, forKey: .prefixes)
        defaultPrefixlen = try Self.prefixlen(c, .defaultPrefixlen)
        minPrefixlen = try Self.prefixlen(c, .minPrefixlen)
        maxPrefixlen = try Self.prefixlen(c, .maxPrefixlen)
        defaultQuota = try c.decode(NullableField<Int>.self, forKey: .defaultQuota)
        shared = try c.decodeIfPresent(Bool.self, forKey: .shared)
        isDefault = try c.decodeIfPresent(Bool.self, forKey: .isDefault)
        addressScopeID = try c.decode(NullableField<String>.self, forKey: .addressScopeID)
        tags = try c.decodeIfPresent([String].self, forKey: .tags)
    }

    /// Neutron converts prefix lengths with `convert_to_int`: "24" and 24 both read as 24.
    static func prefixlen(_ c: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys) throws -> Int? {
        if let text = try? c.decodeIfPresent(String.self, forKey: key) {
            guard let value = Int(text) else {
                throw NeutronError.invalidAttribute(key.rawValue, reason: "'\(text)' is not an integer")
            }
            return value
        }
        return try c.decodeIfPresent(Int.self, forKey: key)
    }
}

/// Neutron's subnet pool rules (`SubnetPoolReader`/`SubnetPoolHelper` and the allocator): prefixes of one
/// version, compacted; prefix-length bounds; carving the first free block of a length from the prefixes.
public enum SubnetPoolRules {
    /// The prefixes as Neutron stores them (merged where they touch or overlap) and their IP version.
    public static func compact(_ texts: [String]) throws -> (prefixes: [IPNetwork], ipVersion: Int) {
        guard !texts.isEmpty else {
            throw NeutronError(status: 400, type: "EmptySubnetPoolPrefixList", message: "Empty subnet pool prefix list.")
        }
        var networks: [IPNetwork] = []
        for text in texts {
            guard let (network, _) = IPNetwork.parse(text) ?? IPAddress(text).map({ (IPNetwork(network: $0, prefix: $0.bitWidth), false) }) else {
                throw NeutronError.invalidAttribute("prefixes", reason: "'\(text)' is not a valid IP subnet")
            }
            networks.append(network)
        }
        let version = networks[0].version
        guard networks.allSatisfy({ $0.version == version }) else {
            throw NeutronError(status: 400, type: "PrefixVersionMismatch", message: "Cannot mix IPv4 and IPv6 prefixes in a subnet pool.")
        }
        // Merge into ranges, then split each range back into the fewest CIDRs (netaddr's IPSet.compact).
        var ranges: [(UInt128, UInt128)] = []
        for network in networks.sorted(by: { $0.first < $1.first }) {
            if let last = ranges.last, last.1 == UInt128.max || network.first <= last.1 + 1 {
                ranges[ranges.count - 1].1 = max(last.1, network.last)
            } else {
                ranges.append((network.first, network.last))
            }
        }
        let width = version == 4 ? 32 : 128
        var out: [IPNetwork] = []
        for (low, high) in ranges {
            var start = low
            while true {
                var prefix = width
                // Largest aligned block starting at `start` that stays within the range.
                while prefix > 0 {
                    let size = UInt128(1) << UInt128(width - prefix + 1)
                    let candidateLast = start &+ (size &- 1)
                    if width - prefix + 1 >= 128 || start % size != 0 || candidateLast > high || candidateLast < start { break }
                    prefix -= 1
                }
                let block = IPNetwork(network: IPAddress(version: version, value: start), prefix: prefix)
                out.append(block)
                if block.last >= high { break }
                start = block.last + 1
            }
        }
        return (out, version)
    }

    /// Checks min <= default <= max <= the version's bits (Neutron's words), returning (default, min, max).
    public static func bounds(defaultPrefixlen: Int?, min: Int?, max: Int?, ipVersion: Int) throws -> (Int, Int, Int) {
        let bits = ipVersion == 4 ? 32 : 128
        let minimum = min ?? (ipVersion == 4 ? 8 : 64)
        let maximum = max ?? bits
        let preferred = defaultPrefixlen ?? minimum
        func illegal(_ type: String, _ length: Int, _ base: String, _ baseLength: Int) -> NeutronError {
            NeutronError(status: 400, type: "IllegalSubnetPoolPrefixBounds",
                         message: "Illegal prefix bounds: \(type)=\(length), \(base)=\(baseLength).")
        }
        if minimum < 0 {
            throw NeutronError(status: 400, type: "UnsupportedMinSubnetPoolPrefix", message: "Prefix '\(minimum)' not supported in IPv4 pool.")
        }
        if minimum > maximum { throw illegal("min_prefixlen", minimum, "max_prefixlen", maximum) }
        if maximum > bits { throw illegal("max_prefixlen", maximum, "ip_version_max", bits) }
        if preferred < minimum { throw illegal("default_prefixlen", preferred, "min_prefixlen", minimum) }
        if preferred > maximum { throw illegal("default_prefixlen", preferred, "max_prefixlen", maximum) }
        return (preferred, minimum, maximum)
    }

    /// The first block of `prefixlen` inside `prefixes` that overlaps none of `taken`, or Neutron's 409.
    public static func carve(prefixlen: Int, from prefixes: [IPNetwork], taken: [IPNetwork]) throws -> IPNetwork {
        for prefix in prefixes where prefix.prefix <= prefixlen {
            let step = UInt128(1) << UInt128(prefix.network.bitWidth - prefixlen)
            var start = prefix.first
            while start <= prefix.last {
                let candidate = IPNetwork(network: prefix.address(start), prefix: prefixlen)
                if let blocking = taken.first(where: { $0.overlaps(candidate) }) {
                    // Jump past the block in the way (aligned to the step), not one step at a time.
                    let aligned = blocking.last - blocking.last % step
                    if blocking.last >= prefix.last || aligned >= prefix.last - step + 1 { break }
                    start = aligned + step
                    continue
                }
                return candidate
            }
        }
        throw NeutronError(status: 409, type: "SubnetAllocationError",
                           message: "Failed to allocate subnet: Insufficient prefix space to allocate subnet size /\(prefixlen).")
    }
}

/// A Neutron address scope: subnet pools in one scope must not overlap.
public struct AddressScope: Codable, Sendable, Hashable {
    public var id: String
    public var name: String
    public var projectID: String
    public var tenantID: String
    public var shared: Bool
    public var ipVersion: Int

    enum CodingKeys: String, CodingKey {
        case id, name, shared
        case projectID = "project_id"
        case tenantID = "tenant_id"
        case ipVersion = "ip_version"
    }

    public init(id: String, name: String, projectID: String, shared: Bool, ipVersion: Int) {
        self.id = id
        self.name = name
        self.projectID = projectID
        self.tenantID = projectID
        self.shared = shared
        self.ipVersion = ipVersion
    }
}

/// The body of `POST /v2.0/address-scopes` (and, all optional, of an update).
public struct AddressScopeRequest: Codable, Sendable, Hashable {
    public var name: String?
    public var projectID: String?
    public var tenantID: String?
    public var shared: Bool?
    public var ipVersion: Int?

    enum CodingKeys: String, CodingKey {
        case name, shared
        case projectID = "project_id"
        case tenantID = "tenant_id"
        case ipVersion = "ip_version"
    }

    /// Attribute names a create may carry.
    public static let createAttributes: Set<String> = ["name", "project_id", "tenant_id", "shared", "ip_version"]
    /// Attribute names an update may carry.
    public static let updateAttributes: Set<String> = ["name", "shared"]
}
