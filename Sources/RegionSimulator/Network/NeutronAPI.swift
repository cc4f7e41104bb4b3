import Foundation
import HTTPTypes
import Hummingbird
import OpenStackModels

/// Neutron's HTTP surface over a `NeutronStore`.
struct NeutronAPI: Sendable {
    let store: NeutronStore
    let region: SimulatedRegionContext

    /// Every route, as a table of contents.
    func register(on router: Router<BasicRequestContext>) {
        router.get("/") { request, _ in versions(request) }
        router.get("/v2.0") { request, _ in await handle(request) { _, id in resourcesDocument(request, id) } }
        router.get("/v2.0/extensions") { request, _ in
            await handle(request) { _, id in try NeutronHTTP.encoded(NeutronExtensionList(extensions: NeutronExtensions.all), requestID: id) }
        }
        router.get("/v2.0/extensions/:alias") { request, context in
            await handle(request) { _, id in
                let alias = context.parameters.get("alias") ?? ""
                guard let ext = NeutronExtensions.all.first(where: { $0.alias == alias }) else {
                    throw NeutronError.extensionNotFound(alias)
                }
                return try NeutronHTTP.encoded(NeutronExtensionEnvelope(extension: ext), requestID: id)
            }
        }
        router.get("/v2.0/availability_zones") { request, _ in
            await handle(request) { _, id in
                let az = store.state.withLock { $0.availabilityZone }
                let zones: [JSONValue] = ["network", "router"].map {
                    ["name": .string(az), "resource": .string($0), "state": "available"]
                }
                return NeutronHTTP.json(["availability_zones": .array(zones)], requestID: id)
            }
        }
        registerNetworks(on: router)
        registerSubnets(on: router)
        registerPorts(on: router)
        registerRouters(on: router)
        registerSecurityGroups(on: router)
        registerFloatingIPs(on: router)
        registerTags(on: router)
        registerQuotas(on: router)
    }

    // MARK: Plumbing

    /// Authenticates, runs `body` and renders any failure in Neutron's format.
    func handle(_ request: Request, _ body: (NeutronCaller, String) async throws -> Response) async -> Response {
        let requestID = SimHTTP.requestID()
        do {
            let token = try region.authenticate(request, format: .neutron)
            let caller = NeutronCaller(projectID: token.projectID, isAdmin: token.isAdmin)
            return try await body(caller, requestID)
        } catch let error as NeutronError {
            return NeutronHTTP.error(error, requestID: requestID)
        } catch let error as SimulatorError {
            if error.code == 401 { return NeutronHTTP.unauthorized(requestID: requestID) }
            let type = error.name ?? "HTTP" + HTTPReason.phrase(error.code).replacingOccurrences(of: " ", with: "")
            return NeutronHTTP.error(NeutronError(status: error.code, type: type, message: error.message), requestID: requestID)
        } catch {
            return NeutronHTTP.error(
                NeutronError(status: 500, type: "HTTPInternalServerError",
                             message: "Request Failed: internal server error while processing your request."),
                requestID: requestID)
        }
    }

    /// Runs a state operation under the lock with the region's clock.
    func mutate<T: Sendable>(_ body: (inout NeutronState) throws -> T) throws -> T {
        let now = region.now()
        return try store.state.withLock { state in
            state.now = now
            return try body(&state)
        }
    }

    /// Runs several creates atomically: a failure restores the state as it was.
    func bulk<T: Sendable>(_ count: Int, _ body: (inout NeutronState, Int) throws -> T) throws -> [T] {
        let now = region.now()
        return try store.state.withLock { state in
            state.now = now
            let saved = state
            var out: [T] = []
            do {
                for index in 0..<count { out.append(try body(&state, index)) }
            } catch {
                state = saved
                throw error
            }
            return out
        }
    }

    /// Registers list/create/show/update/delete for one collection.
    func registerCollection<T: NeutronListable, Create: Decodable & Sendable, Update: Decodable & Sendable>(
        on router: Router<BasicRequestContext>, collection: String, member: String, plural: String? = nil,
        create: Create.Type, createAttributes: Set<String>, update: Update.Type, updateAttributes: Set<String>,
        notFound: @escaping @Sendable (String) -> NeutronError,
        list: @escaping @Sendable (inout NeutronState, NeutronCaller, (T) -> Bool) -> [(T, UInt64)],
        show: @escaping @Sendable (NeutronState, String, NeutronCaller) throws -> T,
        doCreate: @escaping @Sendable (inout NeutronState, Create, NeutronCaller) throws -> T,
        doUpdate: @escaping @Sendable (inout NeutronState, String, Update, NeutronCaller) throws -> T,
        doDelete: @escaping @Sendable (inout NeutronState, String, NeutronCaller) throws -> Void,
        extraFilter: (@Sendable (inout NeutronListEntry<T>, String, [String]) -> Bool?)? = nil,
        extraFilterKeys: Set<String> = []
    ) {
        let base = "/v2.0/\(collection)"
        // The body key differs from the URL for security groups ("security-groups" vs "security_groups").
        let key = plural ?? collection
        router.get(RouterPath(base)) { request, _ in
            await handle(request) { caller, id in
                let query = try NeutronListQuery(request, attributes: T.attributeNames, extraFilters: extraFilterKeys)
                let items = try mutate { state in
                    list(&state, caller) { NeutronList.matches($0, query, extraFilter: extraFilter) }
                }
                return try NeutronList.respond(
                    items, query: query, collection: key, request: request, notFound: notFound, requestID: id)
            }
        }
        router.post(RouterPath(base)) { request, _ in
            await handle(request) { caller, id in
                let body = try await NeutronHTTP.object(request)
                if let many = body[key]?.arrayValue {
                    let specs = try many.map { element -> Create in
                        guard let object = element.objectValue else { throw NeutronError.httpBadRequest("Malformed request body") }
                        try NeutronHTTP.checkAttributes(object, allowed: createAttributes)
                        return try NeutronHTTP.decode(Create.self, from: object)
                    }
                    let created = try bulk(specs.count) { state, index in try doCreate(&state, specs[index], caller) }
                    return try NeutronHTTP.encoded(CollectionBody(key: key, items: created, links: []), status: 201, requestID: id)
                }
                guard let object = body[member]?.objectValue else {
                    throw NeutronError.httpBadRequest("Unable to find '\(member)' in request body")
                }
                try NeutronHTTP.checkAttributes(object, allowed: createAttributes)
                let spec = try NeutronHTTP.decode(Create.self, from: object)
                let created = try mutate { state in try doCreate(&state, spec, caller) }
                return try NeutronList.single(created, key: member, request: request, requestID: id, status: 201)
            }
        }
        router.get(RouterPath(base + "/:id")) { request, context in
            await handle(request) { caller, id in
                let resourceID = context.parameters.get("id") ?? ""
                let item = try store.state.withLock { state in try show(state, resourceID, caller) }
                return try NeutronList.single(item, key: member, request: request, requestID: id)
            }
        }
        router.put(RouterPath(base + "/:id")) { request, context in
            await handle(request) { caller, id in
                let resourceID = context.parameters.get("id") ?? ""
                let object = try await NeutronHTTP.member(request, key: member, allowed: updateAttributes)
                let spec = try NeutronHTTP.decode(Update.self, from: object)
                let expected = try revisionConstraint(request)
                let updated = try mutate { state in
                    if let expected {
                        let current = try show(state, resourceID, caller).revisionNumber
                        guard current == expected else {
                            throw NeutronError(status: 412, type: "RevisionNumberConstraintFailed",
                                               message: "Constrained to \(expected), but current revision is \(current)")
                        }
                    }
                    return try doUpdate(&state, resourceID, spec, caller)
                }
                return try NeutronList.single(updated, key: member, request: request, requestID: id)
            }
        }
        router.delete(RouterPath(base + "/:id")) { request, context in
            await handle(request) { caller, id in
                let resourceID = context.parameters.get("id") ?? ""
                try mutate { state in try doDelete(&state, resourceID, caller) }
                return NeutronHTTP.noContent(requestID: id)
            }
        }
    }

    /// `If-Match: revision_number=N` (revision-if-match extension); nil when absent.
    func revisionConstraint(_ request: Request) throws -> Int? {
        guard let value = request.headers[.ifMatch] else { return nil }
        for part in value.split(separator: ",") {
            let trimmed = part.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("revision_number=") {
                guard let number = Int(trimmed.dropFirst("revision_number=".count)) else {
                    throw NeutronError.httpBadRequest("If-Match header without revision_number=<int> was passed")
                }
                return number
            }
        }
        return nil
    }

    // MARK: Documents

    func versions(_ request: Request) -> Response {
        let base = SimHTTP.baseURL(request)
        let body: JSONValue = ["versions": [
            ["id": "v2.0", "status": "CURRENT", "links": [["href": .string(base + "/v2.0/"), "rel": "self"]]],
        ]]
        return NeutronHTTP.json(body, requestID: SimHTTP.requestID())
    }

    func resourcesDocument(_ request: Request, _ requestID: String) -> Response {
        let base = SimHTTP.baseURL(request) + "/v2.0/"
        let pairs = [("network", "networks"), ("subnet", "subnets"), ("port", "ports"), ("router", "routers"),
                     ("security_group", "security-groups"), ("security_group_rule", "security-group-rules"),
                     ("floatingip", "floatingips")]
        let resources: [JSONValue] = pairs.map { name, collection in
            ["name": .string(name), "collection": .string(collection),
             "links": [["href": .string(base + collection), "rel": "self"]]]
        }
        return NeutronHTTP.json(["resources": .array(resources)], requestID: requestID)
    }
}
