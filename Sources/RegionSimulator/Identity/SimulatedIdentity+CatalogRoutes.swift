import Foundation
import HTTPTypes
import Hummingbird
import OpenStackModels

extension SimulatedIdentity {
    // MARK: Regions

    func listRegions(_ request: Request) throws -> Response {
        _ = try caller(request)
        let base = Self.baseURL(request)
        let parent = Self.query(request, "parent_region_id")
        let regions = state.withLock { state in
            state.regionOrder.compactMap { state.regions[$0] }
                .filter { parent == nil || $0.parentRegionID == parent }
                .map { Self.region($0, base: base) }
        }
        return Self.json(RegionList(regions: regions, links: Self.collectionLinks(request, path: "/v3/regions")))
    }

    func showRegion(_ request: Request, id: String) throws -> Response {
        _ = try caller(request)
        guard let record = state.withLock({ $0.regions[id] }) else {
            throw Self.keystoneError(404, "Could not find region: \(id).", request: request)
        }
        return Self.json(RegionResponse(region: Self.region(record, base: Self.baseURL(request))))
    }

    /// `POST /v3/regions` (id optional) and `PUT /v3/regions/{id}`; 409 when the id exists.
    func createRegion(_ request: Request, id pathID: String?) async throws -> Response {
        _ = try adminCaller(request, action: "identity:create_region")
        let body = try await Self.decodeBody(RegionCreateRequest.self, request).region
        let id = pathID ?? body.id ?? IdentityState.newID()
        let created: IdentityState.RegionRecord? = state.withLock { state in
            guard state.regions[id] == nil else { return nil }
            if let parent = body.parentRegionID, state.regions[parent] == nil { return nil }
            state.addRegion(id: id, description: body.description ?? "", parentRegionID: body.parentRegionID)
            return state.regions[id]
        }
        guard let created else {
            if let parent = body.parentRegionID, state.withLock({ $0.regions[parent] == nil }) {
                throw Self.keystoneError(404, "Could not find region: \(parent).", request: request)
            }
            throw Self.keystoneError(
                409, "Conflict occurred attempting to store region - Duplicate ID, \(id)..", request: request)
        }
        return Self.json(RegionResponse(region: Self.region(created, base: Self.baseURL(request))), status: .created)
    }

    func deleteRegion(_ request: Request, id: String) throws -> Response {
        _ = try adminCaller(request, action: "identity:delete_region")
        let removed = state.withLock { state -> Bool in
            guard state.regions.removeValue(forKey: id) != nil else { return false }
            state.regionOrder.removeAll { $0 == id }
            state.endpoints = state.endpoints.filter { $0.value.regionID != id }
            return true
        }
        guard removed else { throw Self.keystoneError(404, "Could not find region: \(id).", request: request) }
        return Response(status: .noContent)
    }

    // MARK: Services

    func listServices(_ request: Request) throws -> Response {
        _ = try caller(request)
        let base = Self.baseURL(request)
        let type = Self.query(request, "type")
        let name = Self.query(request, "name")
        let services = state.withLock { state in
            state.services.values
                .filter { (type == nil || $0.type == type) && (name == nil || $0.name == name) }
                .sorted { ($0.type, $0.name) < ($1.type, $1.name) }
                .map { Self.service($0, base: base) }
        }
        return Self.json(ServiceList(services: services, links: Self.collectionLinks(request, path: "/v3/services")))
    }

    func showService(_ request: Request, id: String) throws -> Response {
        _ = try caller(request)
        guard let record = state.withLock({ $0.services[id] }) else {
            throw Self.keystoneError(404, "Could not find service: \(id).", request: request)
        }
        return Self.json(ServiceResponse(service: Self.service(record, base: Self.baseURL(request))))
    }

    func createService(_ request: Request) async throws -> Response {
        _ = try adminCaller(request, action: "identity:create_service")
        let body = try await Self.decodeBody(ServiceCreateRequest.self, request).service
        let record = IdentityState.ServiceRecord(
            id: IdentityState.newID(), type: body.type, name: body.name ?? "", description: body.description ?? "",
            enabled: body.enabled ?? true)
        state.withLock { $0.services[record.id] = record }
        return Self.json(ServiceResponse(service: Self.service(record, base: Self.baseURL(request))), status: .created)
    }

    func deleteService(_ request: Request, id: String) throws -> Response {
        _ = try adminCaller(request, action: "identity:delete_service")
        let removed = state.withLock { state -> Bool in
            guard state.services.removeValue(forKey: id) != nil else { return false }
            state.endpoints = state.endpoints.filter { $0.value.serviceID != id }
            return true
        }
        guard removed else { throw Self.keystoneError(404, "Could not find service: \(id).", request: request) }
        return Response(status: .noContent)
    }

    // MARK: Endpoints

    func listEndpoints(_ request: Request) throws -> Response {
        _ = try caller(request)
        let base = Self.baseURL(request)
        let serviceID = Self.query(request, "service_id")
        let interface = Self.query(request, "interface")
        let regionID = Self.query(request, "region_id") ?? Self.query(request, "region")
        let endpoints = state.withLock { state in
            state.endpoints.values
                .filter {
                    (serviceID == nil || $0.serviceID == serviceID) && (interface == nil || $0.interface == interface)
                        && (regionID == nil || $0.regionID == regionID)
                }
                .sorted { ($0.regionID, $0.serviceID, $0.interface) < ($1.regionID, $1.serviceID, $1.interface) }
                .map { Self.endpoint($0, base: base) }
        }
        return Self.json(EndpointList(endpoints: endpoints, links: Self.collectionLinks(request, path: "/v3/endpoints")))
    }

    func showEndpoint(_ request: Request, id: String) throws -> Response {
        _ = try caller(request)
        guard let record = state.withLock({ $0.endpoints[id] }) else {
            throw Self.keystoneError(404, "Could not find endpoint: \(id).", request: request)
        }
        return Self.json(EndpointResponse(endpoint: Self.endpoint(record, base: Self.baseURL(request))))
    }

    /// `POST /v3/endpoints` as the openstack CLI sends it; the service and region must exist (400 otherwise).
    func createEndpoint(_ request: Request) async throws -> Response {
        _ = try adminCaller(request, action: "identity:create_endpoint")
        let body = try await Self.decodeBody(EndpointCreateRequest.self, request).endpoint
        guard ["public", "internal", "admin"].contains(body.interface) else {
            throw Self.keystoneError(
                400, "Invalid input for field 'interface': '\(body.interface)' does not match '^(?:admin|internal|public)$'",
                request: request)
        }
        guard body.url.hasPrefix("http://") || body.url.hasPrefix("https://") else {
            throw Self.keystoneError(400, "Invalid input for field 'url': '\(body.url)' is not a 'url'", request: request)
        }
        let regionID = body.regionID ?? body.region
        let outcome: Result<IdentityState.EndpointRecord, SimulatorError> = state.withLock { state in
            guard state.services[body.serviceID] != nil else {
                return .failure(Self.keystoneError(400, "Expecting to find endpoint service_id in service table. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.", request: request))
            }
            if let regionID, state.regions[regionID] == nil {
                return .failure(Self.keystoneError(400, "Expecting to find endpoint region_id in region table. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.", request: request))
            }
            let record = IdentityState.EndpointRecord(
                id: IdentityState.newID(), serviceID: body.serviceID, regionID: regionID ?? "", interface: body.interface,
                url: body.url, enabled: body.enabled ?? true)
            state.endpoints[record.id] = record
            return .success(record)
        }
        let record = try outcome.get()
        return Self.json(EndpointResponse(endpoint: Self.endpoint(record, base: Self.baseURL(request))), status: .created)
    }

    func deleteEndpoint(_ request: Request, id: String) throws -> Response {
        _ = try adminCaller(request, action: "identity:delete_endpoint")
        guard state.withLock({ $0.endpoints.removeValue(forKey: id) }) != nil else {
            throw Self.keystoneError(404, "Could not find endpoint: \(id).", request: request)
        }
        return Response(status: .noContent)
    }

    // MARK: Rendering

    static func region(_ r: IdentityState.RegionRecord, base: String) -> Region {
        Region(id: r.id, description: r.description, parentRegionID: r.parentRegionID,
               links: EntityLinks(selfLink: "\(base)/v3/regions/\(r.id)"))
    }

    static func service(_ s: IdentityState.ServiceRecord, base: String) -> Service {
        Service(id: s.id, type: s.type, name: s.name, description: s.description, enabled: s.enabled,
                links: EntityLinks(selfLink: "\(base)/v3/services/\(s.id)"))
    }

    static func endpoint(_ e: IdentityState.EndpointRecord, base: String) -> Endpoint {
        Endpoint(id: e.id, interface: e.interface, regionID: e.regionID.isEmpty ? nil : e.regionID, serviceID: e.serviceID,
                 url: e.url, enabled: e.enabled, links: EntityLinks(selfLink: "\(base)/v3/endpoints/\(e.id)"))
    }
}
