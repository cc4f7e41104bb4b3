import Foundation
import HTTPTypes
import Hummingbird
import OpenStackModels

/// Trove's HTTP surface over a `TroveStore`.
struct TroveAPI: Sendable {
    let store: TroveStore
    let region: SimulatedRegionContext

    struct Caller: Sendable {
        var projectID: String
        var base: String
        var isAdmin = false
    }

    func register(on router: Router<BasicRequestContext>) {
        router.get("/") { request, _ in
            let base = SimHTTP.baseURL(request)
            return json(["versions": [versionDocument(base)]], requestID: SimHTTP.requestID())
        }
        router.get("/v1.0") { request, _ in json(["version": versionDocument(SimHTTP.baseURL(request))], requestID: SimHTTP.requestID()) }
        let p = "/v1.0/:project"
        router.get(RouterPath(p + "/instances")) { request, context in
            await handle(request, context) { caller, id in try listInstances(request, caller, id, brief: true) }
        }
        // Trove 25's detailed list: the same instances with their timestamps.
        router.get(RouterPath(p + "/instances/detail")) { request, context in
            await handle(request, context) { caller, id in try listInstances(request, caller, id, brief: false) }
        }
        router.post(RouterPath(p + "/instances")) { request, context in
            await handle(request, context) { caller, id in
                let body = try await decode(request, DatabaseInstanceEnvelope<DatabaseInstanceCreate>.self, key: "instance").instance
                let seconds = transitionSeconds
                let now = region.now()
                let created = try withState { state in
                    try checkQuota(state, project: caller.projectID, Self.instanceDeltas(state, flavorRef: body.flavorRef, volumeSize: body.volume?.size))
                    return try state.createInstance(body, project: caller.projectID, now: now, buildSeconds: seconds)
                }
                return try encoded(DatabaseInstanceEnvelope(instance: store.state.withLock { $0.render(created, base: caller.base) }), requestID: id)
            }
        }
        router.get(RouterPath(p + "/instances/:id")) { request, context in
            await handle(request, context) { caller, id in
                let instanceID = context.parameters.get("id") ?? ""
                let instance = try withState { state in
                    state.render(try state.visibleInstance(instanceID, project: caller.projectID), base: caller.base)
                }
                return try encoded(DatabaseInstanceEnvelope(instance: instance), requestID: id)
            }
        }
        // Trove 25's `edit` is its `update` (name, configuration attach/detach, replica detach).
        router.patch(RouterPath(p + "/instances/:id")) { request, context in
            await handle(request, context) { caller, id in try await updateInstance(request, context, caller, id) }
        }
        router.delete(RouterPath(p + "/instances/:id")) { request, context in
            await handle(request, context) { caller, id in
                let instanceID = context.parameters.get("id") ?? ""
                let seconds = transitionSeconds
                let now = region.now()
                try withState { try $0.deleteInstance(instanceID, project: caller.projectID, now: now, seconds: seconds) }
                return SimHTTP.empty(status: 202, headers: [("x-openstack-request-id", id), ("Content-Type", "application/json")])
            }
        }
        router.post(RouterPath(p + "/instances/:id/action")) { request, context in
            await handle(request, context) { caller, id in
                let instanceID = context.parameters.get("id") ?? ""
                let action = try await decode(request, DatabaseInstanceAction.self, key: nil)
                let seconds = transitionSeconds
                let now = region.now()
                try withState { try $0.act(instanceID, action, project: caller.projectID, now: now, seconds: seconds) }
                return SimHTTP.empty(status: 202, headers: [("x-openstack-request-id", id), ("Content-Type", "application/json")])
            }
        }
        registerClusters(on: router, prefix: p)
        registerCatalog(on: router, prefix: p)
        registerGuest(on: router, prefix: p)
        registerManagement(on: router, prefix: p)
        registerBackups(on: router, prefix: p)
        registerQuotas(on: router, prefix: p)
        registerConfigurations(on: router, prefix: p)
    }

    private func registerClusters(on router: Router<BasicRequestContext>, prefix p: String) {
        router.get(RouterPath(p + "/clusters")) { request, context in
            await handle(request, context) { caller, id in
                let clusters = try withState { state in
                    state.clusters.values.filter { $0.projectID == caller.projectID }
                        .sorted { (state.order[$0.id] ?? 0) < (state.order[$1.id] ?? 0) }
                        .map { state.render($0, base: caller.base) }
                }
                return try encoded(DatabaseClusterList(clusters: clusters), requestID: id)
            }
        }
        router.post(RouterPath(p + "/clusters")) { request, context in
            await handle(request, context) { caller, id in
                let body = try await decode(request, DatabaseClusterEnvelope<DatabaseClusterCreate>.self, key: "cluster").cluster
                let seconds = transitionSeconds
                let now = region.now()
                let cluster = try withState { state in
                    // Trove's cluster strategies check every member's quota at once.
                    let deltas = (body.instances ?? []).reduce(into: [String: Int]()) { sum, spec in
                        sum.merge(Self.instanceDeltas(state, flavorRef: spec.flavorRef, volumeSize: spec.volume?.size ?? 1), uniquingKeysWith: +)
                    }
                    try checkQuota(state, project: caller.projectID, deltas)
                    let made = try state.createCluster(body, project: caller.projectID, now: now, seconds: seconds)
                    return state.render(made, base: caller.base)
                }
                return try encoded(DatabaseClusterEnvelope(cluster: cluster), requestID: id)
            }
        }
        router.get(RouterPath(p + "/clusters/:id")) { request, context in
            await handle(request, context) { caller, id in
                let clusterID = context.parameters.get("id") ?? ""
                let cluster = try withState { state in
                    state.render(try state.visibleCluster(clusterID, project: caller.projectID), base: caller.base)
                }
                return try encoded(DatabaseClusterEnvelope(cluster: cluster), requestID: id)
            }
        }
        router.post(RouterPath(p + "/clusters/:id")) { request, context in
            await handle(request, context) { caller, id in
                let clusterID = context.parameters.get("id") ?? ""
                let action = try await decode(request, DatabaseClusterAction.self, key: nil)
                let seconds = transitionSeconds
                let now = region.now()
                try withState { try $0.clusterAction(clusterID, action, project: caller.projectID, now: now, seconds: seconds) }
                return SimHTTP.empty(status: 202, headers: [("x-openstack-request-id", id), ("Content-Type", "application/json")])
            }
        }
        router.delete(RouterPath(p + "/clusters/:id")) { request, context in
            await handle(request, context) { caller, id in
                let clusterID = context.parameters.get("id") ?? ""
                let seconds = transitionSeconds
                let now = region.now()
                try withState { try $0.deleteCluster(clusterID, project: caller.projectID, now: now, seconds: seconds) }
                return SimHTTP.empty(status: 202, headers: [("x-openstack-request-id", id), ("Content-Type", "application/json")])
            }
        }
    }

    private func registerCatalog(on router: Router<BasicRequestContext>, prefix p: String) {
        router.get(RouterPath(p + "/datastores")) { request, context in
            await handle(request, context) { caller, id in
                try encoded(DatastoreList(datastores: withState { $0.catalog }.map { linked($0, caller.base) }), requestID: id)
            }
        }
        router.get(RouterPath(p + "/datastores/:ds")) { request, context in
            await handle(request, context) { caller, id in
                let store = try datastore(context.parameters.get("ds") ?? "")
                return try encoded(DatastoreEnvelope(datastore: linked(store, caller.base)), requestID: id)
            }
        }
        router.get(RouterPath(p + "/datastores/:ds/versions")) { request, context in
            await handle(request, context) { caller, id in
                let store = try datastore(context.parameters.get("ds") ?? "")
                return try encoded(DatastoreVersionList(versions: store.versions.map { detailed($0, store, caller.base) }), requestID: id)
            }
        }
        router.get(RouterPath(p + "/datastores/:ds/versions/:version")) { request, context in
            await handle(request, context) { caller, id in
                let store = try datastore(context.parameters.get("ds") ?? "")
                let wanted = context.parameters.get("version") ?? ""
                guard let version = store.versions.first(where: { $0.id == wanted || $0.name == wanted }) else {
                    throw TroveError.datastoreVersionNotFound(wanted)
                }
                return try encoded(DatastoreVersionEnvelope(version: detailed(version, store, caller.base)), requestID: id)
            }
        }
        // Trove 25's version by id (`datastore_versions` resource): ids are this region's own.
        router.get(RouterPath(p + "/datastores/versions/:version")) { request, context in
            await handle(request, context) { caller, id in
                let wanted = context.parameters.get("version") ?? ""
                let catalog = store.state.withLock { $0.catalog }
                guard let owner = catalog.first(where: { $0.versions.contains { $0.id == wanted } }),
                      let version = owner.versions.first(where: { $0.id == wanted }) else {
                    throw TroveError.datastoreVersionNotFound(wanted)
                }
                return try encoded(DatastoreVersionEnvelope(version: detailed(version, owner, caller.base)), requestID: id)
            }
        }
        router.get(RouterPath(p + "/flavors")) { request, context in
            await handle(request, context) { caller, id in
                let flavors = store.state.withLock { $0.flavorCatalog }()
                return try encoded(DatabaseFlavorList(flavors: flavors.map { linked($0, caller.base) }), requestID: id)
            }
        }
        router.get(RouterPath(p + "/flavors/:id")) { request, context in
            await handle(request, context) { caller, id in
                let wanted = context.parameters.get("id") ?? ""
                guard let flavor = store.state.withLock({ $0.flavorCatalog })().first(where: { $0.id == wanted }) else {
                    throw TroveError.notFound(wanted)
                }
                return try encoded(DatabaseFlavorEnvelope(flavor: linked(flavor, caller.base)), requestID: id)
            }
        }
    }

    // MARK: Lists

    /// `brief`: Trove's `InstanceView` (the plain list), which has no `created`/`updated` (its detail view has).
    private func listInstances(_ request: Request, _ caller: Caller, _ requestID: String, brief: Bool) throws -> Response {
        let includeClustered = (SimHTTP.query(request, "include_clustered") ?? "").lowercased() == "true"
        let limit = SimHTTP.query(request, "limit").flatMap(Int.init)
        let marker = SimHTTP.query(request, "marker")
        var instances = try withState { state in
            state.instances.values
                .filter { $0.projectID == caller.projectID && (includeClustered || $0.clusterID == nil) }
                .sorted { (state.order[$0.id] ?? 0) < (state.order[$1.id] ?? 0) }
                .map { state.render($0, base: caller.base) }
        }
        if let marker {
            guard let index = instances.firstIndex(where: { $0.id == marker }) else { throw TroveError.notFound(marker) }
            instances = Array(instances[(index + 1)...])
        }
        var links: [Link]?
        if let limit, limit > 0, instances.count > limit {
            instances = Array(instances.prefix(limit))
            if let last = instances.last {
                links = [Link(rel: "next", href: "\(caller.base)/instances?limit=\(limit)&marker=\(last.id)")]
            }
        }
        guard brief else { return try encoded(DatabaseInstanceList(instances: instances, links: links), requestID: requestID) }
        var body = try JSONValue(data: JSONEncoder().encode(DatabaseInstanceList(instances: instances, links: links)))
        if case .object(var top) = body, let items = top["instances"]?.arrayValue {
            top["instances"] = .array(items.map { item in
                guard case .object(var fields) = item else { return item }
                fields["created"] = nil
                fields["updated"] = nil
                return .object(fields)
            })
            body = .object(top)
        }
        return json(body, requestID: requestID)
    }

    // MARK: Plumbing

    var transitionSeconds: TimeInterval { region.transitionSeconds(for: "database") }

    /// Runs `body` on the state after settling due transitions.
    func withState<T: Sendable>(_ body: (inout TroveState) throws -> T) throws -> T {
        let now = region.now()
        return try store.state.withLock { state in
            state.settle(now: now)
            return try body(&state)
        }
    }

    func handle(
        _ request: Request, _ context: BasicRequestContext, _ body: (Caller, String) async throws -> Response
    ) async -> Response {
        let requestID = SimHTTP.requestID()
        do {
            let token: SimulatedToken
            do {
                token = try region.authenticate(request, format: .fault)
            } catch {
                let body = KeystoneErrorBody(code: 401, title: "Unauthorized", message: "The request you have made requires authentication.")
                return try encoded(body, status: 401, requestID: requestID)
            }
            let project = context.parameters.get("project") ?? ""
            // Catalog URLs not templated by Keystone still work for the token's own project.
            guard project == token.projectID || project == "$(project_id)s" || project == "%(tenant_id)s" else {
                throw TroveError.forbidden("User with tenant id \(token.projectID) cannot access this resource.")
            }
            let base = SimHTTP.baseURL(request) + "/v1.0/" + project
            return try await body(Caller(projectID: token.projectID, base: base, isAdmin: token.isAdmin), requestID)
        } catch let fault as OpenStackFault {
            return (try? encoded(fault, status: fault.code, requestID: requestID)) ?? SimHTTP.empty(status: fault.code)
        } catch {
            let fault = TroveFault(name: "instanceFault", message: "The server has either erred or is incapable of performing the requested operation.", code: 500)
            return (try? encoded(fault, status: 500, requestID: requestID)) ?? SimHTTP.empty(status: 500)
        }
    }

    /// Decodes a JSON body; `key` names the member that must be present.
    func decode<T: Decodable>(_ request: Request, _ type: T.Type, key: String?) async throws -> T {
        var request = request
        guard let buffer = try? await request.body.collect(upTo: 4 << 20), buffer.readableBytes > 0 else {
            throw TroveError.badRequest("The server could not comply with the request since it is either malformed or otherwise incorrect.")
        }
        let data = Data(buffer.readableBytesView)
        if let key {
            guard let object = try? JSONDecoder().decode(JSONValue.self, from: data), object[key]?.objectValue != nil else {
                throw TroveError.validation("'\(key)' is a required property")
            }
        }
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            let path = context.codingPath.map(\.stringValue).joined(separator: "']['")
            throw TroveError.validation("['\(path)'] has an invalid value")
        } catch let DecodingError.dataCorrupted(context) {
            throw TroveError.badRequest(context.debugDescription)
        } catch {
            throw TroveError.badRequest("Malformed request body")
        }
    }

    func encoded<T: Encodable>(_ value: T, status: Int = 200, requestID: String) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        var fields = HTTPFields()
        fields[.contentType] = "application/json"
        fields[.xOpenStackRequestID] = requestID
        return Response(
            status: HTTPResponse.Status(code: status), headers: fields,
            body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(value))))
    }

    func json(_ value: JSONValue, requestID: String) -> Response {
        SimHTTP.json(value, headers: [("x-openstack-request-id", requestID)])
    }

    func versionDocument(_ base: String) -> JSONValue {
        ["id": "v1.0", "status": "CURRENT", "updated": "2012-08-01T00:00:00Z",
         "links": [["href": .string(base + "/v1.0/"), "rel": "self"]]]
    }

    func datastore(_ idOrName: String) throws -> Datastore {
        guard let store = store.state.withLock({ $0.catalog }).first(where: { $0.id == idOrName || $0.name == idOrName }) else {
            throw TroveError.datastoreNotFound(idOrName)
        }
        return store
    }

    func linked(_ store: Datastore, _ base: String) -> Datastore {
        var out = store
        out.links = [Link(rel: "self", href: "\(base)/datastores/\(store.id)"),
                     Link(rel: "bookmark", href: "\(base)/datastores/\(store.id)")]
        out.versions = store.versions.map { v in
            var version = v
            version.links = [Link(rel: "self", href: "\(base)/datastores/versions/\(v.id)")]
            return version
        }
        return out
    }

    func detailed(_ version: DatastoreVersion, _ store: Datastore, _ base: String) -> DatastoreVersion {
        DatastoreVersion(
            id: version.id, name: version.name,
            links: [Link(rel: "self", href: "\(base)/datastores/versions/\(version.id)")], datastore: store.id,
            active: 1, image: self.store.state.withLock { $0.versionImages[version.id] } ?? TroveState.stableID("image-\(store.name)-\(version.name)"), packages: "",
            version: version.name)
    }

    func linked(_ flavor: DatabaseFlavor, _ base: String) -> DatabaseFlavor {
        var out = flavor
        out.links = [Link(rel: "self", href: "\(base)/flavors/\(flavor.id)"),
                     Link(rel: "bookmark", href: "\(base)/flavors/\(flavor.id)")]
        return out
    }
}
