import Foundation
import Hummingbird
import OpenStackModels

extension NeutronState {
    /// Reads or edits the tags of a resource the caller can see; returns the tags after the change.
    mutating func editTags(
        collection: String, id: String, caller: NeutronCaller, change: (inout [String]) throws -> Void
    ) throws -> [String] {
        func apply<T>(_ item: inout T, _ path: WritableKeyPath<T, [String]>, _ updated: WritableKeyPath<T, String>,
                      _ revision: WritableKeyPath<T, Int>) throws -> [String] {
            var tags = item[keyPath: path]
            try change(&tags)
            tags.sort()  // Neutron lists tags in its table's key order
            if tags != item[keyPath: path] {
                item[keyPath: path] = tags
                item[keyPath: updated] = timestamp
                item[keyPath: revision] += 1
            }
            return tags
        }
        switch collection {
        case "networks":
            var item = try visibleNetwork(id, caller)
            let tags = try apply(&item, \.tags, \.updatedAt, \.revisionNumber)
            networks[id] = item
            return tags
        case "subnets":
            var item = try visibleSubnet(id, caller)
            let tags = try apply(&item, \.tags, \.updatedAt, \.revisionNumber)
            subnets[id] = item
            return tags
        case "ports":
            var item = try visiblePort(id, caller)
            let tags = try apply(&item, \.tags, \.updatedAt, \.revisionNumber)
            ports[id] = item
            return tags
        case "routers":
            var item = try visibleRouter(id, caller)
            let tags = try apply(&item, \.tags, \.updatedAt, \.revisionNumber)
            routers[id] = item
            return tags
        case "security-groups":
            var item = try visibleSecurityGroup(id, caller)
            let tags = try apply(&item, \.tags, \.updatedAt, \.revisionNumber)
            securityGroups[id] = item
            return tags
        default:
            var item = try visibleFloatingIP(id, caller)
            let tags = try apply(&item, \.tags, \.updatedAt, \.revisionNumber)
            floatingIPs[id] = item
            return tags
        }
    }
}

extension NeutronAPI {
    static let taggable = NeutronTags.collections.map(\.collection)

    /// A `{tag}` path segment, percent-decoded as Neutron's router does.
    static func pathTag(_ raw: String) -> String { raw.removingPercentEncoding ?? raw }

    /// The tag extension: `/v2.0/{collection}/{id}/tags[/{tag}]`.
    func registerTags(on router: Router<BasicRequestContext>) {
        for collection in Self.taggable {
            let base = "/v2.0/\(collection)/:id/tags"
            router.get(RouterPath(base)) { request, context in
                await handle(request) { caller, requestID in
                    let id = context.parameters.get("id") ?? ""
                    let tags = try mutate { try $0.editTags(collection: collection, id: id, caller: caller) { _ in } }
                    return NeutronHTTP.json(["tags": .array(tags.map { .string($0) })], requestID: requestID)
                }
            }
            router.put(RouterPath(base)) { request, context in
                await handle(request) { caller, requestID in
                    let id = context.parameters.get("id") ?? ""
                    let wanted = try NeutronTags.replacement(.object(try await NeutronHTTP.object(request)))
                    let tags = try mutate { try $0.editTags(collection: collection, id: id, caller: caller) { $0 = wanted } }
                    return NeutronHTTP.json(["tags": .array(tags.map { .string($0) })], requestID: requestID)
                }
            }
            router.post(RouterPath(base)) { request, context in
                await handle(request) { caller, requestID in
                    let id = context.parameters.get("id") ?? ""
                    let wanted = try NeutronTags.replacement(.object(try await NeutronHTTP.object(request)))
                    _ = try mutate {
                        try $0.editTags(collection: collection, id: id, caller: caller) { tags in tags += wanted.filter { !tags.contains($0) } }
                    }
                    return NeutronHTTP.json(["tags": .array(wanted.map { .string($0) })], status: 201, requestID: requestID)
                }
            }
            router.delete(RouterPath(base)) { request, context in
                await handle(request) { caller, requestID in
                    let id = context.parameters.get("id") ?? ""
                    _ = try mutate { try $0.editTags(collection: collection, id: id, caller: caller) { $0 = [] } }
                    return NeutronHTTP.noContent(requestID: requestID)
                }
            }
            router.get(RouterPath(base + "/:tag")) { request, context in
                await handle(request) { caller, requestID in
                    let id = context.parameters.get("id") ?? ""
                    let tag = try NeutronTags.single(Self.pathTag(context.parameters.get("tag") ?? ""))
                    let tags = try mutate { try $0.editTags(collection: collection, id: id, caller: caller) { _ in } }
                    guard tags.contains(tag) else { throw NeutronTags.notFound(tag) }
                    return NeutronHTTP.noContent(requestID: requestID)
                }
            }
            router.put(RouterPath(base + "/:tag")) { request, context in
                await handle(request) { caller, requestID in
                    let id = context.parameters.get("id") ?? ""
                    let tag = try NeutronTags.single(Self.pathTag(context.parameters.get("tag") ?? ""))
                    _ = try mutate {
                        try $0.editTags(collection: collection, id: id, caller: caller) { if !$0.contains(tag) { $0.append(tag) } }
                    }
                    return SimHTTP.empty(status: 201, headers: [("x-openstack-request-id", requestID)])
                }
            }
            router.delete(RouterPath(base + "/:tag")) { request, context in
                await handle(request) { caller, requestID in
                    let id = context.parameters.get("id") ?? ""
                    let tag = try NeutronTags.single(Self.pathTag(context.parameters.get("tag") ?? ""))
                    _ = try mutate {
                        try $0.editTags(collection: collection, id: id, caller: caller) { tags in
                            guard tags.contains(tag) else { throw NeutronTags.notFound(tag) }
                            tags.removeAll { $0 == tag }
                        }
                    }
                    return NeutronHTTP.noContent(requestID: requestID)
                }
            }
        }
    }
}
