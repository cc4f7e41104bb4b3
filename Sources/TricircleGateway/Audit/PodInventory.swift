import Foundation
import OpenStackClient
import OpenStackModels
import TricircleCore

/// One resource as a pod lists it, reduced to what the audit compares.
struct PodResource: Sendable {
    var id: String
    var name: String
    var projectID: String
    var createdAt: Date?
    /// `tricircle_top_id` of an image copy.
    var topIDProperty: String?
    var deviceOwner: String?
}

/// Lists what a pod holds, all projects, with the gateway's service token (an admin in every region).
struct PodInventory: Sendable {
    let runtime: GatewayRuntime
    let credentials: ServiceCredentials

    /// The pod-side collections the audit compares with the routing table, and the routing types they hold.
    enum Collection: String, CaseIterable, Sendable {
        case servers, volumes, snapshots, networks, subnets, ports, securityGroups = "security-groups", routers, images

        var serviceType: String {
            switch self {
            case .servers: "compute"
            case .volumes, .snapshots: "volumev3"
            case .networks, .subnets, .ports, .securityGroups, .routers: "network"
            case .images: "image"
            }
        }

        /// Routing types whose bottom ids live in this collection.
        var routingTypes: [ResourceType] {
            switch self {
            case .servers: [.server]
            case .volumes: [.volume]
            case .snapshots: [.snapshot]
            case .networks: [.network]
            case .subnets: [.subnet]
            case .ports: [.port, .shadowPort]
            case .securityGroups: [.securityGroup]
            case .routers: [.router]
            case .images: [.image]
            }
        }

        static func of(_ type: ResourceType) -> Collection? { allCases.first { $0.routingTypes.contains(type) } }

        /// The path of one resource of this collection in its service.
        func path(of id: String) -> String {
            switch self {
            case .servers: "/servers/\(id)"
            case .volumes: "/volumes/\(id)"
            case .snapshots: "/snapshots/\(id)"
            case .images: "/v2/images/\(id)"
            default: "/v2.0/\(rawValue)/\(id)"
            }
        }
    }

    func list(_ collection: Collection, in pod: Pod) async throws -> [PodResource] {
        switch collection {
        case .servers:
            return try await paged(pod, collection, path: "/servers/detail", key: "servers", query: [("all_tenants", "1")]) {
                PodResource(id: $0["id"]?.stringValue ?? "", name: $0["name"]?.stringValue ?? "",
                            projectID: $0["tenant_id"]?.stringValue ?? "", createdAt: Self.date($0["created"]))
            } keep: { ($0["status"]?.stringValue ?? "").uppercased() != "DELETED" }
        case .volumes:
            return try await paged(pod, collection, path: "/volumes/detail", key: "volumes", query: [("all_tenants", "1")]) {
                PodResource(id: $0["id"]?.stringValue ?? "", name: $0["name"]?.stringValue ?? "",
                            projectID: $0["os-vol-tenant-attr:tenant_id"]?.stringValue ?? "", createdAt: Self.date($0["created_at"]))
            }
        case .snapshots:
            return try await paged(pod, collection, path: "/snapshots/detail", key: "snapshots", query: [("all_tenants", "1")]) {
                PodResource(id: $0["id"]?.stringValue ?? "", name: $0["name"]?.stringValue ?? "",
                            projectID: $0["os-extended-snapshot-attributes:project_id"]?.stringValue ?? "",
                            createdAt: Self.date($0["created_at"]))
            }
        case .networks, .subnets, .ports, .securityGroups, .routers:
            // Neutron answers an admin every project's resources, all at once when no limit is given.
            let key = collection.rawValue.replacingOccurrences(of: "-", with: "_")
            let answer = try await get(pod, collection, path: "/v2.0/\(collection.rawValue)")
            return (answer[key]?.arrayValue ?? []).map {
                PodResource(id: $0["id"]?.stringValue ?? "", name: $0["name"]?.stringValue ?? "",
                            projectID: $0["project_id"]?.stringValue ?? $0["tenant_id"]?.stringValue ?? "",
                            createdAt: Self.date($0["created_at"]), deviceOwner: $0["device_owner"]?.stringValue)
            }
        case .images:
            var out: [PodResource] = []
            var path: String? = "/v2/images?limit=500"
            var pages = 0
            while let next = path, pages < 1000 {
                pages += 1
                let answer = try await get(pod, collection, path: next)
                for image in answer["images"]?.arrayValue ?? [] {
                    out.append(PodResource(
                        id: image["id"]?.stringValue ?? "", name: image["name"]?.stringValue ?? "",
                        projectID: image["owner"]?.stringValue ?? "", createdAt: Self.date(image["created_at"]),
                        topIDProperty: image["tricircle_top_id"]?.stringValue))
                }
                // Glance's `next` is "/v2/images?marker=..." relative to the endpoint's root.
                path = answer["next"]?.stringValue.map { $0.hasPrefix("/v2/") ? $0 : "/v2/images?" + ($0.split(separator: "?").last.map(String.init) ?? "") }
            }
            return out
        }
    }

    /// Whether the pod answers 404 for one resource now (a repair re-checks a row before dropping it).
    func isGone(_ collection: Collection, id: String, in pod: Pod) async throws -> Bool {
        let response = try await send(RegionalRequest(method: "GET", path: collection.path(of: id)), pod: pod, collection: collection)
        if response.status == 404 { return true }
        guard response.isSuccess else {
            throw AuditError("\(pod.regionName) answered \(response.status) for \(collection.rawValue) \(id)")
        }
        if collection == .servers {
            let status = (try? JSONValue(data: response.data))?["server"]?["status"]?.stringValue ?? ""
            return status.uppercased() == "DELETED"
        }
        return false
    }

    func send(_ request: RegionalRequest, pod: Pod, collection: Collection) async throws -> RegionalResponse {
        var request = request
        request.timeout = request.timeout ?? .seconds(30)
        return try await runtime.forwarder(serviceType: collection.serviceType, format: .fault).send(request, to: pod, credentials: credentials)
    }

    private func get(_ pod: Pod, _ collection: Collection, path: String) async throws -> JSONValue {
        let response = try await send(RegionalRequest(method: "GET", path: path), pod: pod, collection: collection)
        guard response.isSuccess else {
            throw AuditError("\(pod.regionName) answered \(response.status) to GET \(path)")
        }
        return try JSONValue(data: response.data)
    }

    /// Nova and Cinder lists, `limit`/`marker` paged until a short page.
    private func paged(
        _ pod: Pod, _ collection: Collection, path: String, key: String, query: [(String, String)],
        _ make: (JSONValue) -> PodResource, keep: (JSONValue) -> Bool = { _ in true }
    ) async throws -> [PodResource] {
        let limit = 1000
        var out: [PodResource] = []
        var marker: String?
        for _ in 0..<10_000 {
            var items = query.map { URLQueryItem(name: $0.0, value: $0.1) } + [URLQueryItem(name: "limit", value: "\(limit)")]
            if let marker { items.append(URLQueryItem(name: "marker", value: marker)) }
            let response = try await send(RegionalRequest(method: "GET", path: path, query: items), pod: pod, collection: collection)
            guard response.isSuccess else { throw AuditError("\(pod.regionName) answered \(response.status) to GET \(path)") }
            let page = (try JSONValue(data: response.data))[key]?.arrayValue ?? []
            out += page.filter(keep).map(make)
            guard page.count >= limit, let last = page.last?["id"]?.stringValue else { break }
            marker = last
        }
        return out
    }

    /// Nova ("2024-05-01T10:00:00Z"), Cinder ("2024-05-01T10:00:00.000000") and Neutron/Glance timestamps,
    /// read to the second as UTC.
    static func date(_ value: JSONValue?) -> Date? {
        guard let text = value?.stringValue, text.count >= 19 else { return nil }
        var components = DateComponents()
        components.timeZone = TimeZone(identifier: "UTC")
        let parts = text.prefix(19).split(whereSeparator: { "-T: ".contains($0) }).compactMap { Int($0) }
        guard parts.count == 6 else { return nil }
        (components.year, components.month, components.day) = (parts[0], parts[1], parts[2])
        (components.hour, components.minute, components.second) = (parts[3], parts[4], parts[5])
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? .current
        return calendar.date(from: components)
    }
}

/// An audit step that could not be done (a pod's odd answer); the audit reports it and goes on.
struct AuditError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
