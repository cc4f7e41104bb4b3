import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import OpenStackModels

/// An endpoint as the resolver keeps it: the URL may hold a project template (`$(project_id)s`).
public struct CatalogEndpointTemplate: Sendable, Hashable, Codable {
    public var regionID: String
    public var serviceType: String
    public var serviceName: String?
    public var interface: String
    public var urlTemplate: String

    public init(regionID: String, serviceType: String, serviceName: String?, interface: String, urlTemplate: String) {
        self.regionID = regionID
        self.serviceType = serviceType
        self.serviceName = serviceName
        self.interface = interface
        self.urlTemplate = urlTemplate
    }

    /// The URL for a project: Keystone's `$(project_id)s`, `%(project_id)s`, `$(tenant_id)s`, `%(tenant_id)s`
    /// filled in, and no trailing slash.
    public func url(projectID: String?) -> String {
        var url = urlTemplate
        // Every placeholder has "(": most endpoints have none, and this runs for every pod call.
        if let projectID, urlTemplate.utf8.contains(UInt8(ascii: "(")) {
            for placeholder in Self.projectPlaceholders { url = url.replacingOccurrences(of: placeholder, with: projectID) }
        }
        while url.hasSuffix("/") { url.removeLast() }
        return url
    }

    static let projectPlaceholders = ["$(project_id)s", "%(project_id)s", "$(tenant_id)s", "%(tenant_id)s"]
}

extension KeystoneClient {
    /// `GET /v3/auth/catalog` for the service token.
    public func catalog() async throws -> [CatalogEntry] {
        let response = try await sendAsService(.GET, "/auth/catalog")
        guard response.status == 200 else { throw OpenStackClientError.http(response) }
        return try response.decode(CatalogResponse.self).catalog
    }

    /// Every endpoint with its URL template.
    ///
    /// Reads `/v3/endpoints` and `/v3/services` (raw templates) when the service user may; otherwise the
    /// service token's catalog, where Keystone has put the service project's id in place of the template,
    /// which is put back.
    public func endpointTemplates() async throws -> [CatalogEndpointTemplate] {
        do {
            let services = try await services()
            let byID = Dictionary(services.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
            return try await endpoints().compactMap { endpoint in
                guard endpoint.enabled, let service = byID[endpoint.serviceID], service.enabled else { return nil }
                return CatalogEndpointTemplate(
                    regionID: endpoint.regionID ?? endpoint.region ?? "", serviceType: service.type,
                    serviceName: service.name, interface: endpoint.interface, urlTemplate: endpoint.url)
            }
        } catch OpenStackClientError.http(let response) where response.status == 403 {
            let serviceProject = try await serviceToken().token.project?.id
            return try await catalog().flatMap { entry in
                entry.endpoints.map { endpoint in
                    var template = endpoint.url
                    if let serviceProject, !serviceProject.isEmpty {
                        template = template.replacingOccurrences(of: serviceProject, with: "$(project_id)s")
                    }
                    return CatalogEndpointTemplate(
                        regionID: endpoint.effectiveRegion ?? "", serviceType: entry.type, serviceName: entry.name,
                        interface: endpoint.interface, urlTemplate: template)
                }
            }
        }
    }

    // MARK: Regions

    /// `GET /v3/regions`.
    public func regions() async throws -> [Region] {
        let response = try await sendAsService(.GET, "/regions")
        guard response.status == 200 else { throw OpenStackClientError.http(response) }
        return try response.decode(RegionList.self).regions
    }

    /// `GET /v3/regions/{id}`; nil when Keystone has no such region.
    public func region(_ id: String) async throws -> Region? {
        let response = try await sendAsService(.GET, "/regions/" + Self.pathEscape(id))
        if response.status == 404 { return nil }
        guard response.status == 200 else { throw OpenStackClientError.http(response) }
        return try response.decode(RegionResponse.self).region
    }

    /// Whether Keystone knows a region with this id (a pod's name must be one).
    public func regionExists(_ id: String) async throws -> Bool {
        try await region(id) != nil
    }

    /// `POST /v3/regions`; an existing region with that id is returned as is.
    @discardableResult
    public func createRegion(_ id: String, description: String = "") async throws -> Region {
        let body = try JSONEncoder().encode(RegionCreateRequest(region: .init(id: id, description: description)))
        let response = try await sendAsService(.POST, "/regions", body: ByteBuffer(data: body))
        if response.status == 409, let existing = try await region(id) { return existing }
        guard response.status == 201 else { throw OpenStackClientError.http(response) }
        return try response.decode(RegionResponse.self).region
    }

    // MARK: Services and endpoints

    /// `GET /v3/services`, optionally filtered by type.
    public func services(type: String? = nil) async throws -> [Service] {
        let query = type.map { "?type=" + Self.queryEscape($0) } ?? ""
        let response = try await sendAsService(.GET, "/services" + query)
        guard response.status == 200 else { throw OpenStackClientError.http(response) }
        return try response.decode(ServiceList.self).services
    }

    /// `POST /v3/services`.
    public func createService(type: String, name: String, description: String? = nil) async throws -> Service {
        let body = try JSONEncoder().encode(ServiceCreateRequest(service: .init(type: type, name: name, description: description)))
        let response = try await sendAsService(.POST, "/services", body: ByteBuffer(data: body))
        guard response.status == 201 else { throw OpenStackClientError.http(response) }
        return try response.decode(ServiceResponse.self).service
    }

    /// `GET /v3/endpoints` with Keystone's filters.
    public func endpoints(serviceID: String? = nil, interface: String? = nil, regionID: String? = nil) async throws -> [Endpoint] {
        var items: [String] = []
        if let serviceID { items.append("service_id=" + Self.queryEscape(serviceID)) }
        if let interface { items.append("interface=" + Self.queryEscape(interface)) }
        if let regionID { items.append("region_id=" + Self.queryEscape(regionID)) }
        let response = try await sendAsService(.GET, "/endpoints" + (items.isEmpty ? "" : "?" + items.joined(separator: "&")))
        guard response.status == 200 else { throw OpenStackClientError.http(response) }
        return try response.decode(EndpointList.self).endpoints
    }

    /// `POST /v3/endpoints`.
    public func createEndpoint(serviceID: String, interface: String, regionID: String, url: String) async throws -> Endpoint {
        let body = try JSONEncoder().encode(
            EndpointCreateRequest(endpoint: .init(interface: interface, serviceID: serviceID, url: url, regionID: regionID, enabled: true)))
        let response = try await sendAsService(.POST, "/endpoints", body: ByteBuffer(data: body))
        guard response.status == 201 else { throw OpenStackClientError.http(response) }
        return try response.decode(EndpointResponse.self).endpoint
    }

    /// `DELETE /v3/endpoints/{id}`.
    public func deleteEndpoint(_ id: String) async throws {
        let response = try await sendAsService(.DELETE, "/endpoints/" + Self.pathEscape(id))
        guard response.status == 204 || response.status == 404 else { throw OpenStackClientError.http(response) }
    }

    /// Makes Keystone list `url` as the `interface` endpoint of `serviceType` in `region`, creating the region and
    /// service when missing and replacing a different URL; running it twice changes nothing.
    /// This is how the gateway's own endpoints are registered in the top region.
    @discardableResult
    public func registerEndpoint(
        region: String, serviceType: String, serviceName: String, interface: String = "public", url: String
    ) async throws -> Endpoint {
        try await createRegion(region)
        let service: Service
        let ofType = try await services(type: serviceType)
        if let existing = ofType.first(where: { $0.name == serviceName }) ?? ofType.first {
            service = existing
        } else {
            service = try await createService(type: serviceType, name: serviceName)
        }
        let current = try await endpoints(serviceID: service.id, interface: interface, regionID: region)
        if let same = current.first(where: { $0.url == url }) { return same }
        for stale in current { try await deleteEndpoint(stale.id) }
        return try await createEndpoint(serviceID: service.id, interface: interface, regionID: region, url: url)
    }

    static func pathEscape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? text
    }

    static func queryEscape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed.subtracting(CharacterSet(charactersIn: "&=+"))) ?? text
    }
}
