import Foundation
import Hummingbird
import OpenStackModels
import TricircleCore
import TricircleGateway
import TricircleStore

/// `/v2.0/subnetpools` (`subnet_allocation`, `default-subnetpools`, `subnetpool-prefix-ops`): pools live at
/// the top only; a subnet created from one gets its CIDR carved here, and pods only ever see the subnet.
struct SubnetPoolRoutes: APIRoutes {
    let service: NetworkService

    static let attributes: Set<String> = Set(jsonObject(SubnetPool(
        id: "", name: "", description: "", projectID: "", prefixes: [], defaultPrefixlen: 0, minPrefixlen: 0, maxPrefixlen: 0,
        defaultQuota: nil, ipVersion: 4, shared: false, isDefault: false, addressScopeID: nil, tags: [], createdAt: "", updatedAt: "")).keys)

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("subnetpools", use: list)
        group.post("subnetpools", use: create)
        group.get("subnetpools/:id", use: show)
        group.put("subnetpools/:id", use: update)
        group.delete("subnetpools/:id", use: delete)
        group.put("subnetpools/:id/add_prefixes", use: addPrefixes)
        group.put("subnetpools/:id/remove_prefixes", use: removePrefixes)
    }

    /// `GET /v2.0/subnetpools`: own, shared and (admins) all.
    func list(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let caller = NeutronCaller(try context.requireCaller())
        let query = try NeutronListQuery(request, attributes: Self.attributes)
        return try await service.lister.respond(
            .subnetPools, collection: "subnetpools", request: request, query: query,
            base: NetworkDocumentQuery(projectIDs: caller.visibleProjects, orDeviceIDs: [NetworkService.sharedMarker]),
            render: { rows in try rows.map { try jsonObject(service.model(SubnetPool.self, $0)) } },
            notFound: SubnetPoolRoutes.notFound)
    }

    /// `POST /v2.0/subnetpools`.
    func create(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let caller = NeutronCaller(try context.requireCaller())
        let body = try NeutronHTTP.decode(SubnetPoolRequest.self, from: try await NeutronHTTP.member(
            request, key: "subnetpool", allowed: SubnetPoolRequest.createAttributes))
        if body.shared == true, !caller.isAdmin { throw NeutronError.policyNotAuthorized("rule:create_subnetpool and rule:create_subnetpool:shared") }
        if body.isDefault == true, !caller.isAdmin {
            throw NeutronError.policyNotAuthorized("rule:create_subnetpool and rule:create_subnetpool:is_default")
        }
        guard let texts = body.prefixes else {
            throw NeutronError.httpBadRequest("Failed to parse request. Required attribute 'prefixes' not specified")
        }
        let project = try caller.owningProject(body.projectID, body.tenantID)
        let (prefixes, version) = try SubnetPoolRules.compact(texts)
        let (preferred, minimum, maximum) = try SubnetPoolRules.bounds(
            defaultPrefixlen: body.defaultPrefixlen, min: body.minPrefixlen, max: body.maxPrefixlen, ipVersion: version)
        let id = NetworkService.newID()
        let isDefault = body.isDefault ?? false
        if isDefault { try await refuseSecondDefault(version: version, except: nil) }
        try await checkScope(body.addressScopeID.value, pool: id, prefixes: prefixes, version: version, caller)
        let now = NetworkService.now()
        let pool = SubnetPool(
            id: id, name: body.name ?? "", description: body.description ?? "", projectID: project,
            prefixes: prefixes.map(\.description), defaultPrefixlen: preferred, minPrefixlen: minimum, maxPrefixlen: maximum,
            defaultQuota: body.defaultQuota.value, ipVersion: version, shared: body.shared ?? false, isDefault: isDefault,
            addressScopeID: body.addressScopeID.value, tags: body.tags ?? [], createdAt: now, updatedAt: now)
        do {
            try await service.documents.insert(.subnetPools, document(pool))
        } catch is StoreError {
            throw Self.secondDefault()
        }
        return NeutronHTTP.single("subnetpool", jsonObject(pool), request: request, status: .created)
    }

    /// `GET /v2.0/subnetpools/:id`.
    func show(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let (pool, _) = try await service.subnetPool(try context.parameters.require("id"), NeutronCaller(try context.requireCaller()))
        return NeutronHTTP.single("subnetpool", jsonObject(pool), request: request)
    }

    /// `PUT /v2.0/subnetpools/:id`: prefixes may only grow; only an admin makes a pool the default.
    func update(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let caller = NeutronCaller(try context.requireCaller())
        let id = try context.parameters.require("id")
        let body = try NeutronHTTP.decode(SubnetPoolRequest.self, from: try await NeutronHTTP.member(
            request, key: "subnetpool", allowed: SubnetPoolRequest.updateAttributes))
        let pool = try await update(id, body, caller)
        return NeutronHTTP.single("subnetpool", jsonObject(pool), request: request)
    }

    /// `DELETE /v2.0/subnetpools/:id`: not while subnets use it.
    func delete(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let caller = NeutronCaller(try context.requireCaller())
        let id = try context.parameters.require("id")
        let (pool, _) = try await service.subnetPool(id, caller)
        guard caller.owns(pool.projectID) else { throw NeutronError.policyNotAuthorized("rule:delete_subnetpool") }
        if try await !service.subnets(ofPool: id).isEmpty {
            throw NeutronError(status: 400, type: "SubnetPoolDeleteError", message: "Unable to delete subnet pool: Subnet pool has existing allocations.")
        }
        try await service.documents.delete(.subnetPools, id: id)
        return NeutronHTTP.noContent()
    }

    /// `PUT /v2.0/subnetpools/:id/add_prefixes` `{"prefixes": [...]}`: answers the pool's prefixes.
    func addPrefixes(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let caller = NeutronCaller(try context.requireCaller())
        let id = try context.parameters.require("id")
        let requested = try Self.prefixList(try await NeutronHTTP.object(request))
        let (current, _) = try await service.subnetPool(id, caller)
        guard !requested.isEmpty else { return NeutronHTTP.json(["prefixes": .array(current.prefixes.map { .string($0) })]) }
        var body = try NeutronHTTP.decode(SubnetPoolRequest.self, from: [:])
        body.prefixes = current.prefixes + requested
        let pool = try await update(id, body, caller)
        return NeutronHTTP.json(["prefixes": .array(pool.prefixes.map { .string($0) })])
    }

    /// `PUT /v2.0/subnetpools/:id/remove_prefixes`: not prefixes a subnet was carved from.
    func removePrefixes(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let caller = NeutronCaller(try context.requireCaller())
        let id = try context.parameters.require("id")
        let requested = try Self.prefixList(try await NeutronHTTP.object(request)).compactMap { IPNetwork.parse($0)?.network }
        let (current, _) = try await service.subnetPool(id, caller)
        guard caller.owns(current.projectID) else { throw NeutronError.policyNotAuthorized("rule:update_subnetpool") }
        let allocated = try await service.subnets(ofPool: id).compactMap { IPNetwork.parse($0.cidr)?.network }
        if allocated.contains(where: { cidr in requested.contains { $0.overlaps(cidr) } }) {
            throw NeutronError(status: 400, type: "IllegalSubnetPoolPrefixUpdate",
                               message: "Illegal update to prefixes: One or more of the prefixes requested for removal have been allocated by a real subnet.")
        }
        let (pool, _) = try await service.rewrite(.subnetPools, id: id, notFound: Self.notFound(id)) { (pool: inout SubnetPool, _) in
            let kept = pool.prefixes.compactMap { IPNetwork.parse($0)?.network }.filter { prefix in !requested.contains { $0.overlaps(prefix) } }
            // At least one prefix stays, as Neutron's compaction of an empty set would leave a pool without any.
            if !kept.isEmpty { pool.prefixes = kept.map(\.description) }
            touch(&pool.updatedAt, &pool.revisionNumber)
        }
        return NeutronHTTP.json(["prefixes": .array(pool.prefixes.map { .string($0) })])
    }

    func update(_ id: String, _ body: SubnetPoolRequest, _ caller: NeutronCaller) async throws -> SubnetPool {
        let (current, _) = try await service.subnetPool(id, caller)
        guard caller.owns(current.projectID) else { throw NeutronError.policyNotAuthorized("rule:update_subnetpool") }
        if body.isDefault != nil, !caller.isAdmin {
            throw NeutronError.policyNotAuthorized("rule:update_subnetpool and rule:update_subnetpool:is_default")
        }
        var prefixes = current.prefixes.compactMap { IPNetwork.parse($0)?.network }
        if let texts = body.prefixes {
            let (wanted, version) = try SubnetPoolRules.compact(texts)
            let covered = prefixes.allSatisfy { old in wanted.contains { $0.prefix <= old.prefix && $0.contains(old.network) } }
            guard version == current.ipVersion, covered else {
                throw NeutronError(status: 400, type: "IllegalSubnetPoolPrefixUpdate",
                                   message: "Illegal update to prefixes: Existing prefixes must be a subset of the new prefixes.")
            }
            prefixes = wanted
        }
        let (preferred, minimum, maximum) = try SubnetPoolRules.bounds(
            defaultPrefixlen: body.defaultPrefixlen ?? current.defaultPrefixlen, min: body.minPrefixlen ?? current.minPrefixlen,
            max: body.maxPrefixlen ?? current.maxPrefixlen, ipVersion: current.ipVersion)
        if body.isDefault == true, !current.isDefault { try await refuseSecondDefault(version: current.ipVersion, except: id) }
        let scope = body.addressScopeID.isPresent ? body.addressScopeID.value : current.addressScopeID
        try await checkScope(scope, pool: id, prefixes: prefixes, version: current.ipVersion, caller)
        do {
            let (pool, _) = try await service.rewrite(.subnetPools, id: id, notFound: Self.notFound(id)) { (pool: inout SubnetPool, _) in
                if let v = body.name { pool.name = v }
                if let v = body.description { pool.description = v }
                if let v = body.isDefault { pool.isDefault = v }
                if body.defaultQuota.isPresent { pool.defaultQuota = body.defaultQuota.value }
                pool.prefixes = prefixes.map(\.description)
                (pool.defaultPrefixlen, pool.minPrefixlen, pool.maxPrefixlen) = (preferred, minimum, maximum)
                pool.addressScopeID = scope
                touch(&pool.updatedAt, &pool.revisionNumber)
            }
            // The unique key follows `is_default` (one default per IP version).
            if let doc = try await service.documents.get(.subnetPools, id: id), doc.uniqueKey != Self.uniqueKey(pool) {
                var next = doc
                next.uniqueKey = Self.uniqueKey(pool)
                next.revision += 1
                _ = try await service.documents.update(.subnetPools, next, expectedRevision: doc.revision)
            }
            return pool
        } catch let error as NeutronError {
            throw error
        } catch where StateStore.isUniqueViolation(error) {
            throw Self.secondDefault()
        }
    }

    static func notFound(_ id: String) -> NeutronError {
        NeutronError(status: 404, type: "SubnetPoolNotFound", message: "Subnet pool \(id) could not be found.")
    }

    static func secondDefault() -> NeutronError {
        .invalidInput("A default subnetpool for this IP family has already been set. Only one default may exist per IP family")
    }

    static func uniqueKey(_ pool: SubnetPool) -> String? { pool.isDefault ? "default:\(pool.ipVersion)" : nil }

    static func prefixList(_ object: [String: JSONValue]) throws -> [String] {
        guard let items = object["prefixes"]?.arrayValue else {
            throw NeutronError.httpBadRequest("Failed to parse request. Required attribute 'prefixes' not specified")
        }
        return try items.map { item in
            guard let text = item.stringValue, IPNetwork.parse(text) != nil else {
                throw NeutronError.invalidAttribute("prefixes", reason: "'\(item)' is not a valid IP subnet")
            }
            return text
        }
    }

    func document(_ pool: SubnetPool) throws -> NetworkDocument {
        NetworkDocument(id: pool.id, projectID: pool.projectID, parentID: pool.addressScopeID ?? "",
                        deviceID: pool.shared ? NetworkService.sharedMarker : "", name: pool.name, uniqueKey: Self.uniqueKey(pool),
                        body: try NetworkService.body(pool), createdAt: pool.createdAt, updatedAt: pool.updatedAt)
    }

    func refuseSecondDefault(version: Int, except id: String?) async throws {
        if let existing = try await service.documents.get(.subnetPools, uniqueKey: "default:\(version)"), existing.id != id {
            throw Self.secondDefault()
        }
    }

    /// Neutron's `_validate_address_scope_id`: a scope the caller owns (or a shared one), of the pool's
    /// version, whose other pools do not overlap this one's prefixes.
    func checkScope(_ scopeID: String?, pool id: String, prefixes: [IPNetwork], version: Int, _ caller: NeutronCaller) async throws {
        guard let scopeID else { return }
        let (scope, _) = try await service.addressScope(scopeID, caller)
        guard caller.owns(scope.projectID) || scope.shared else {
            throw NeutronError(status: 400, type: "IllegalSubnetPoolAssociationToAddressScope",
                               message: "Illegal subnetpool association: subnetpool \(id) cannot be associated with address scope \(scopeID).")
        }
        guard scope.ipVersion == version else {
            throw NeutronError(status: 400, type: "IllegalSubnetPoolIpVersionAssociationToAddressScope",
                               message: "Illegal subnetpool association: subnetpool \(id) cannot associate with address scope \(scopeID) because subnetpool ip_version is not \(scope.ipVersion).")
        }
        for doc in try await service.documents.list(.subnetPools, NetworkDocumentQuery(parentIDs: [scopeID])) where doc.id != id {
            let other = try service.model(SubnetPool.self, doc).prefixes.compactMap { IPNetwork.parse($0)?.network }
            if other.contains(where: { o in prefixes.contains { $0.overlaps(o) } }) {
                throw NeutronError(status: 409, type: "AddressScopePrefixConflict",
                                   message: "Failed to associate address scope: subnetpools within an address scope must have unique prefixes.")
            }
        }
    }
}

extension NetworkService {
    /// A subnet pool the caller may see (own, shared; admins: any), or 404 SubnetPoolNotFound.
    func subnetPool(_ id: String, _ caller: NeutronCaller) async throws -> (SubnetPool, NetworkDocument) {
        guard let doc = try await documents.get(.subnetPools, id: id), caller.owns(doc.projectID) || doc.deviceID == Self.sharedMarker
        else { throw SubnetPoolRoutes.notFound(id) }
        return (try model(SubnetPool.self, doc), doc)
    }

    /// Subnets carved from a pool (every project's: a pool in use stays).
    func subnets(ofPool id: String) async throws -> [Subnet] {
        // Subnets keep their pool only in the document; pools are few and small, so a scan is fine here.
        try await documents.list(.subnets, NetworkDocumentQuery()).compactMap { doc in
            let subnet = try model(Subnet.self, doc)
            return subnet.subnetpoolID == id ? subnet : nil
        }
    }

    /// The pool a subnet create names: `subnetpool_id`, or with `use_default_subnetpool` the default pool of
    /// the IP version (Neutron's `_get_subnetpool_id`, same 400s).
    func requestedPool(_ body: SubnetCreate, _ caller: NeutronCaller) async throws -> String? {
        let useDefault = body.useDefaultSubnetpool ?? false
        if useDefault, body.subnetpoolID != nil {
            throw NeutronError.badRequest(resource: "subnets", "subnetpool_id and use_default_subnetpool cannot both be specified")
        }
        if let id = body.subnetpoolID { return id }
        guard useDefault else { return nil }
        guard let version = body.cidr.flatMap({ IPNetwork.parse($0)?.network.version }) ?? body.ipVersion else {
            throw NeutronError.badRequest(resource: "subnets", "ip_version must be specified in the absence of cidr and subnetpool_id")
        }
        guard let doc = try await documents.get(.subnetPools, uniqueKey: "default:\(version)"),
              caller.owns(doc.projectID) || doc.deviceID == Self.sharedMarker
        else { throw NeutronError.badRequest(resource: "subnets", "No default subnetpool found for IPv\(version)") }
        return doc.id
    }

    /// Claims what `carve` chose: the pool's row moves to a new revision only if nobody moved it since the
    /// carve read it. A create that loses removes its subnet and carves again (optimistic locking: one
    /// concurrent carver always wins, so every round makes progress).
    func commitCarve(_ carve: PoolCarve) async throws -> Bool {
        guard let doc = try await documents.get(.subnetPools, id: carve.poolID), doc.revision == carve.poolRevision else { return false }
        var next = doc
        next.revision += 1
        return try await documents.update(.subnetPools, next, expectedRevision: carve.poolRevision)
    }

    /// The CIDR a subnet create asks of a pool (`subnetpool_id`, optional `prefixlen` or `cidr`), carved
    /// from the pool's prefixes around the subnets already taken from it. nil when the create names no pool.
    func carveSubnet(poolID: String?, cidr: String?, prefixlen: Int?, ipVersion: Int?, _ caller: NeutronCaller) async throws -> PoolCarve? {
        guard let poolID else { return nil }
        let (pool, poolDoc) = try await subnetPool(poolID, caller)
        func carved(_ block: IPNetwork) -> PoolCarve {
            PoolCarve(cidr: block.description, ipVersion: pool.ipVersion, poolID: poolID, poolRevision: poolDoc.revision)
        }
        if let ipVersion, ipVersion != pool.ipVersion {
            throw NeutronError.invalidInput("Cannot allocate IPv\(ipVersion) subnet from IPv\(pool.ipVersion) subnet pool")
        }
        let prefixes = pool.prefixes.compactMap { IPNetwork.parse($0)?.network }
        let taken = try await subnets(ofPool: poolID).compactMap { IPNetwork.parse($0.cidr)?.network }
        if let cidr {
            // A specific CIDR must lie in the pool and be free.
            guard let (wanted, _) = IPNetwork.parse(cidr), prefixes.contains(where: { $0.prefix <= wanted.prefix && $0.contains(wanted.network) }) else {
                throw NeutronError(status: 409, type: "SubnetAllocationError", message: "Failed to allocate subnet: Cidr \(cidr) not in the subnet pool's prefixes.")
            }
            guard !taken.contains(where: { $0.overlaps(wanted) }) else {
                throw NeutronError(status: 409, type: "SubnetAllocationError", message: "Failed to allocate subnet: Cidr \(cidr) overlaps with another subnet of the pool.")
            }
            return carved(wanted)
        }
        let length = prefixlen ?? pool.defaultPrefixlen
        if length < pool.minPrefixlen {
            throw NeutronError.badRequest(resource: "subnets", "Unable to allocate subnet with prefix length \(length), minimum allowed prefix is \(pool.minPrefixlen)")
        }
        if length > pool.maxPrefixlen {
            throw NeutronError.badRequest(resource: "subnets", "Unable to allocate subnet with prefix length \(length), maximum allowed prefix is \(pool.maxPrefixlen)")
        }
        return carved(try SubnetPoolRules.carve(prefixlen: length, from: prefixes, taken: taken))
    }
}

/// A block chosen from a pool for a new subnet, and the pool revision the choice was made at.
struct PoolCarve: Sendable {
    var cidr: String
    var ipVersion: Int
    var poolID: String
    var poolRevision: Int
}
