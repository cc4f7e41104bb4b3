import Foundation
import Hummingbird
import OpenStackClient
import OpenStackModels
import TricircleCore
import TricircleGateway
import TricircleStore

/// Who asks, as the Networking API's rules see it.
struct NeutronCaller: Sendable {
    var projectID: String
    var isAdmin: Bool

    init(_ caller: AuthenticatedCaller) {
        projectID = caller.projectID
        isAdmin = caller.isAdmin
    }

    init(projectID: String, isAdmin: Bool) {
        self.projectID = projectID
        self.isAdmin = isAdmin
    }

    /// The project a create is for: the caller's, or (admins only) the one the body names.
    func owningProject(_ projectID: String?, _ tenantID: String?) throws -> String {
        if let projectID, let tenantID, projectID != tenantID {
            throw NeutronError.httpBadRequest("'project_id' and 'tenant_id' do not match")
        }
        guard let requested = projectID ?? tenantID, requested != self.projectID else { return self.projectID }
        guard isAdmin else {
            throw NeutronError.httpBadRequest(
                "Specifying 'project_id' or 'tenant_id' other than the authenticated project in request requires admin privileges")
        }
        return requested
    }

    /// The projects whose rows a list may show (nil: every project).
    var visibleProjects: [String]? { isAdmin ? nil : [projectID] }

    /// Whether the caller may see a row owned by `project`.
    func owns(_ project: String) -> Bool { isAdmin || project == projectID }
}

/// The Networking API's state at the top and the rules shared by its resources: stores, lists, reads
/// with project isolation, revision-checked writes.
struct NetworkService: Sendable {
    /// Where copies live, the pods, quotas, jobs and timeouts (the kit's part a front-end uses).
    let services: GatewayServices
    /// The gateway's own identity, for calls to the pods' Neutron as the service user.
    let keystone: KeystoneClient
    /// The pods' Neutron, through their circuits.
    let neutronForwarder: PodForwarder
    let documents: NetworkDocumentStore
    let addresses: NetworkAddressStore
    let lister: NeutronLister

    init(runtime: GatewayRuntime) {
        self.services = GatewayServices(runtime: runtime)
        self.keystone = runtime.keystone
        self.neutronForwarder = runtime.forwarder(serviceType: "network", format: .neutron)
        self.documents = NetworkDocumentStore(store: runtime.store)
        self.addresses = NetworkAddressStore(store: runtime.store)
        self.lister = NeutronLister(documents: documents)
    }

    /// The device id that marks networks (and their subnets) every project may see: shared or external.
    static let sharedMarker = "shared"

    static func now() -> String { NeutronTimestamp.string(Date()) }
    static func newID() -> String { Identifier.make() }

    /// Decodes a stored document as its model.
    func model<T: Decodable>(_ type: T.Type, _ document: NetworkDocument) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(document.body.utf8))
    }

    /// The JSON text a model is stored as.
    static func body(_ value: some Encodable) throws -> String {
        String(decoding: try NeutronHTTP.encoder.encode(value), as: UTF8.self)
    }

    /// A network the caller may see (own, shared or external; admins: any), or 404 NetworkNotFound.
    func network(_ id: String, _ caller: NeutronCaller) async throws -> (Network, NetworkDocument) {
        guard let doc = try await documents.get(.networks, id: id),
              caller.owns(doc.projectID) || doc.deviceID == Self.sharedMarker
        else { throw NeutronError.networkNotFound(id) }
        return (try model(Network.self, doc), doc)
    }

    /// A subnet the caller may see, or 404 SubnetNotFound.
    func subnet(_ id: String, _ caller: NeutronCaller) async throws -> (Subnet, NetworkDocument) {
        guard let doc = try await documents.get(.subnets, id: id),
              caller.owns(doc.projectID) || doc.deviceID == Self.sharedMarker
        else { throw NeutronError.subnetNotFound(id) }
        return (try model(Subnet.self, doc), doc)
    }

    /// A port the caller owns (admins: any), or 404 PortNotFound.
    func port(_ id: String, _ caller: NeutronCaller) async throws -> (NeutronPort, NetworkDocument) {
        guard let doc = try await documents.get(.ports, id: id), caller.owns(doc.projectID) else {
            throw NeutronError.portNotFound(id)
        }
        return (try model(NeutronPort.self, doc), doc)
    }

    /// A router the caller owns, or 404 RouterNotFound.
    func router(_ id: String, _ caller: NeutronCaller) async throws -> (NeutronRouter, NetworkDocument) {
        guard let doc = try await documents.get(.routers, id: id), caller.owns(doc.projectID) else {
            throw NeutronError.routerNotFound(id)
        }
        return (try model(NeutronRouter.self, doc), doc)
    }

    /// A security group the caller owns, or 404 SecurityGroupNotFound.
    func securityGroup(_ id: String, _ caller: NeutronCaller) async throws -> (SecurityGroup, NetworkDocument) {
        guard let doc = try await documents.get(.securityGroups, id: id), caller.owns(doc.projectID) else {
            throw NeutronError.securityGroupNotFound(id)
        }
        return (try model(SecurityGroup.self, doc), doc)
    }

    /// The subnets of networks, grouped by network id (for the derived `subnets` attribute).
    func subnetIDs(ofNetworks ids: [String]) async throws -> [String: [String]] {
        guard !ids.isEmpty else { return [:] }
        let rows = try await documents.list(.subnets, NetworkDocumentQuery(parentIDs: ids))
        return Dictionary(grouping: rows, by: \.parentID).mapValues { $0.map(\.id) }
    }

    /// Subnets of one network as models.
    func subnets(ofNetwork id: String) async throws -> [Subnet] {
        try await documents.list(.subnets, NetworkDocumentQuery(parentIDs: [id])).map { try model(Subnet.self, $0) }
    }

    /// After a network became shared or external (or stopped being so): its subnets follow, in who may see
    /// them (the marker) and in their `router:external`.
    func remarkSubnets(ofNetwork id: String, shared: Bool, external: Bool) async throws {
        for doc in try await documents.list(.subnets, NetworkDocumentQuery(parentIDs: [id])) {
            for attempt in 0..<20 {
                guard let current = attempt == 0 ? doc : try await documents.get(.subnets, id: doc.id) else { break }
                var subnet = try model(Subnet.self, current)
                subnet.routerExternal = external
                var next = current
                next.deviceID = shared ? Self.sharedMarker : ""
                next.revision = current.revision + 1
                next.body = try Self.body(subnet)
                if try await documents.update(.subnets, next, expectedRevision: current.revision) { break }
            }
        }
    }

    /// Ports of one network as models (optionally with one device owner).
    func ports(ofNetwork id: String) async throws -> [NeutronPort] {
        try await documents.list(.ports, NetworkDocumentQuery(parentIDs: [id])).map { try model(NeutronPort.self, $0) }
    }

    /// Runs a read-modify-write until it applies to the revision it read (concurrent writers retry).
    func rewrite<T: Codable & Sendable>(
        _ table: NetworkTable, id: String, notFound: NeutronError,
        _ change: (inout T, NetworkDocument) async throws -> Void
    ) async throws -> (T, NetworkDocument) {
        for _ in 0..<20 {
            guard let doc = try await documents.get(table, id: id) else { throw notFound }
            var value = try model(T.self, doc)
            try await change(&value, doc)
            var next = doc
            next.revision = doc.revision + 1
            if let object = (try? JSONValue(encoding: value))?.objectValue {
                next.name = object["name"]?.stringValue ?? doc.name
            }
            next.updatedAt = Timestamp.now()
            next.body = try Self.body(value)
            if try await documents.update(table, next, expectedRevision: doc.revision) { return (value, next) }
        }
        throw NeutronError(status: 409, type: "Conflict", message: "The resource was changed concurrently; try again.")
    }
}

/// Bumps Neutron's standard attributes after a change.
func touch(_ updatedAt: inout String, _ revision: inout Int) {
    updatedAt = NetworkService.now()
    revision += 1
}
