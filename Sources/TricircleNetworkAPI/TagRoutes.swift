import Foundation
import Hummingbird
import OpenStackModels
import TricircleGateway
import TricircleStore

/// A Neutron resource with standard attributes, as far as tags are concerned.
protocol TaggedResource: Codable, Sendable {
    var tags: [String] { get set }
    var updatedAt: String { get set }
    var revisionNumber: Int { get set }
}

extension Network: TaggedResource {}
extension Subnet: TaggedResource {}
extension NeutronPort: TaggedResource {}
extension NeutronRouter: TaggedResource {}
extension SecurityGroup: TaggedResource {}
extension FloatingIP: TaggedResource {}
extension SubnetPool: TaggedResource {}

/// `/v2.0/{networks,subnets,ports,routers,security-groups,floatingips,subnetpools}/{id}/tags[/{tag}]` (the
/// `standard-attr-tag` extension). Tags live in the top's record of the resource (the top owns these
/// records), so no pod is called; they show in the resource bodies and the list filters read them. Kept
/// sorted, as Neutron lists them.
struct TagRoutes: APIRoutes {
    let service: NetworkService

    /// One taggable collection: where its records are and how its absence is worded.
    enum Kind: String, CaseIterable, Sendable {
        case networks, subnets, ports, routers, securityGroups = "security-groups", floatingips, subnetpools

        var table: NetworkTable {
            switch self {
            case .networks: .networks
            case .subnets: .subnets
            case .ports: .ports
            case .routers: .routers
            case .securityGroups: .securityGroups
            case .floatingips: .floatingIPs
            case .subnetpools: .subnetPools
            }
        }

        func notFound(_ id: String) -> NeutronError {
            switch self {
            case .networks: .networkNotFound(id)
            case .subnets: .subnetNotFound(id)
            case .ports: .portNotFound(id)
            case .routers: .routerNotFound(id)
            case .securityGroups: .securityGroupNotFound(id)
            case .floatingips: .floatingIPNotFound(id)
            case .subnetpools: SubnetPoolRoutes.notFound(id)
            }
        }

        /// Shared and external networks (and their subnets) and shared subnet pools are readable by every project.
        var sharedReadable: Bool { self == .networks || self == .subnets || self == .subnetpools }
    }

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        for kind in Kind.allCases {
            let base = "\(kind.rawValue)/:id/tags"
            group.get(RouterPath(base)) { try await list($0, $1, kind) }
            group.put(RouterPath(base)) { try await replace($0, $1, kind) }
            group.post(RouterPath(base)) { try await addAll($0, $1, kind) }
            group.delete(RouterPath(base)) { try await clear($0, $1, kind) }
            group.get(RouterPath(base + "/:tag")) { try await check($0, $1, kind) }
            group.put(RouterPath(base + "/:tag")) { try await add($0, $1, kind) }
            group.delete(RouterPath(base + "/:tag")) { try await remove($0, $1, kind) }
        }
    }

    /// `GET .../tags`: `{"tags": [...]}`.
    func list(_ request: Request, _ context: GatewayRequestContext, _ kind: Kind) async throws -> Response {
        let tags = try await edit(kind, context, write: false) { _ in }
        return NeutronHTTP.json(["tags": .array(tags.map { .string($0) })])
    }

    /// `PUT .../tags` with `{"tags": [...]}`: replaces them all; answers the new list.
    func replace(_ request: Request, _ context: GatewayRequestContext, _ kind: Kind) async throws -> Response {
        let wanted = try NeutronTags.replacement(.object(try await NeutronHTTP.object(request)))
        let tags = try await edit(kind, context, write: true) { $0 = wanted }
        return NeutronHTTP.json(["tags": .array(tags.map { .string($0) })])
    }

    /// `POST .../tags` with `{"tags": [...]}` (the `tag-creation` extension): adds those not there yet; 201
    /// with the body's list, as Neutron answers.
    func addAll(_ request: Request, _ context: GatewayRequestContext, _ kind: Kind) async throws -> Response {
        let wanted = try NeutronTags.replacement(.object(try await NeutronHTTP.object(request)))
        _ = try await edit(kind, context, write: true) { tags in tags += wanted.filter { !tags.contains($0) } }
        return NeutronHTTP.json(["tags": .array(wanted.map { .string($0) })], status: .created)
    }

    /// `DELETE .../tags`: removes them all.
    func clear(_ request: Request, _ context: GatewayRequestContext, _ kind: Kind) async throws -> Response {
        _ = try await edit(kind, context, write: true) { $0 = [] }
        return NeutronHTTP.noContent()
    }

    /// `GET .../tags/{tag}`: 204 when the resource carries it, else TagNotFound.
    func check(_ request: Request, _ context: GatewayRequestContext, _ kind: Kind) async throws -> Response {
        let tag = try Self.tag(context)
        guard try await edit(kind, context, write: false, { _ in }).contains(tag) else { throw NeutronTags.notFound(tag) }
        return NeutronHTTP.noContent()
    }

    /// `PUT .../tags/{tag}`: adds one (201, no body; adding one already there changes nothing).
    func add(_ request: Request, _ context: GatewayRequestContext, _ kind: Kind) async throws -> Response {
        let tag = try Self.tag(context)
        _ = try await edit(kind, context, write: true) { if !$0.contains(tag) { $0.append(tag) } }
        return Response(status: .created)
    }

    /// `DELETE .../tags/{tag}`: removes one, TagNotFound when it is not there.
    func remove(_ request: Request, _ context: GatewayRequestContext, _ kind: Kind) async throws -> Response {
        let tag = try Self.tag(context)
        _ = try await edit(kind, context, write: true) { tags in
            guard tags.contains(tag) else { throw NeutronTags.notFound(tag) }
            tags.removeAll { $0 == tag }
        }
        return NeutronHTTP.noContent()
    }

    /// The `{tag}` of the path, percent-decoded (clients quote tags with spaces or slashes).
    static func tag(_ context: GatewayRequestContext) throws -> String {
        let raw = try context.parameters.require("tag")
        return try NeutronTags.single(raw.removingPercentEncoding ?? raw)
    }

    /// Reads the tags of the resource the path names, applying `change` when `write` (owners and admins only).
    func edit(_ kind: Kind, _ context: GatewayRequestContext, write: Bool,
              _ change: @escaping @Sendable (inout [String]) throws -> Void) async throws -> [String] {
        let caller = NeutronCaller(try context.requireCaller())
        let id = try context.parameters.require("id")
        return switch kind {
        case .networks: try await edit(Network.self, kind, id: id, caller, write: write, change)
        case .subnets: try await edit(Subnet.self, kind, id: id, caller, write: write, change)
        case .ports: try await edit(NeutronPort.self, kind, id: id, caller, write: write, change)
        case .routers: try await edit(NeutronRouter.self, kind, id: id, caller, write: write, change)
        case .securityGroups: try await edit(SecurityGroup.self, kind, id: id, caller, write: write, change)
        case .floatingips: try await edit(FloatingIP.self, kind, id: id, caller, write: write, change)
        case .subnetpools: try await edit(SubnetPool.self, kind, id: id, caller, write: write, change)
        }
    }

    func edit<T: TaggedResource>(
        _ type: T.Type, _ kind: Kind, id: String, _ caller: NeutronCaller, write: Bool,
        _ change: @Sendable (inout [String]) throws -> Void
    ) async throws -> [String] {
        guard let doc = try await service.documents.get(kind.table, id: id),
              caller.owns(doc.projectID) || (kind.sharedReadable && doc.deviceID == NetworkService.sharedMarker)
        else { throw kind.notFound(id) }
        guard write else { return try service.model(T.self, doc).tags }
        // A shared network is readable by all, but only its project (or an admin) tags it, as Neutron's policy says.
        guard caller.owns(doc.projectID) else {
            throw NeutronError.policyNotAuthorized("update_\(kind.table == .securityGroups ? "security_groups" : kind.rawValue)_tags")
        }
        let (item, _) = try await service.rewrite(kind.table, id: id, notFound: kind.notFound(id)) { (item: inout T, _) in
            var tags = item.tags
            try change(&tags)
            // Neutron reads tags back in its table's key order: sorted.
            tags.sort()
            guard tags != item.tags else { return }
            item.tags = tags
            var (updatedAt, revision) = (item.updatedAt, item.revisionNumber)
            touch(&updatedAt, &revision)
            (item.updatedAt, item.revisionNumber) = (updatedAt, revision)
        }
        return item.tags
    }
}
