import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import OpenStackClient
import OpenStackModels
import TricircleGateway

/// `/images/{id}/metadata[/{key}]`: an image's properties through Nova's proxy (until 2.35), changed
/// in the top's image service with JSON patches as Nova does in its Glance.
struct ImageMetadataRoutes: APIRoutes {
    let proxy: ComputeImageProxy

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("images/:image/metadata", use: list)
        group.put("images/:image/metadata", use: replace)
        group.post("images/:image/metadata", use: merge)
        group.get("images/:image/metadata/:key", use: show)
        group.put("images/:image/metadata/:key", use: set)
        group.delete("images/:image/metadata/:key", use: delete)
    }

    static func metadataJSON(_ values: [String: String]) -> JSONValue { .object(values.mapValues(JSONValue.string)) }

    func list(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try await proxy.begin(request, context)
        let image = try await proxy.image(try context.parameters.require("image"), call)
        return proxy.json(["metadata": Self.metadataJSON(image.properties)], call)
    }

    func show(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try await proxy.begin(request, context)
        let image = try await proxy.image(try context.parameters.require("image"), call)
        let key = try context.parameters.require("key")
        guard let value = image.properties[key] else { throw Nova.notFound("Invalid metadata key") }
        return proxy.json(["meta": [key: .string(value)]], call)
    }

    /// The body's string map under `member`; Nova's 400 otherwise.
    static func values(_ request: Request, member: String) async throws -> [String: String] {
        let body = try ComputePodCalls.jsonObject(try await ComputePodCalls.body(request))
        guard let object = body[member]?.objectValue else { throw Nova.malformedBody }
        var values: [String: String] = [:]
        for (key, value) in object {
            guard !key.isEmpty, key.count <= 255, let text = value.stringValue, text.count <= 255 else {
                throw Nova.badRequest("Invalid input for field/attribute \(member). Value: \(JSONValue.object(object)). Metadata keys and values must be strings of 1 to 255 characters")
            }
            values[key] = text
        }
        return values
    }

    /// Applies the changes with one JSON patch and answers the image's properties after it.
    func patch(_ id: String, set: [String: String], remove: [String], current: Image, call: ComputeImageProxy.Call) async throws -> Image {
        var operations: [JSONValue] = remove.sorted().map { ["op": "remove", "path": .string("/\($0)")] }
        for (key, value) in set.sorted(by: { $0.key < $1.key }) {
            let op = current.object[key] == nil ? "add" : "replace"
            operations.append(["op": .string(op), "path": .string("/\(key)"), "value": .string(value)])
        }
        guard !operations.isEmpty else { return current }
        var request = RegionalRequest(method: "PATCH", path: "/v2/images/\(id)")
        request.body = .bytes(ByteBuffer(data: JSONValue.array(operations).encoded()), contentType: "application/openstack-images-v2.1-json-patch")
        let response = try await proxy.glance(call, request)
        if response.status == 403 { throw APIError(.forbidden, "You are not allowed to change the image's metadata.", format: .fault) }
        if response.status == 400 || response.status == 409 || response.status == 413 {
            throw Nova.badRequest("The image service refused the metadata: HTTP \(response.status).")
        }
        try proxy.check(response)
        return (try? response.decode(Image.self)) ?? current
    }

    /// `PUT /images/{id}/metadata`: the given properties replace all of them.
    func replace(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try await proxy.begin(request, context)
        let id = try context.parameters.require("image")
        let values = try await Self.values(request, member: "metadata")
        let current = try await proxy.image(id, call)
        let gone = current.properties.keys.filter { values[$0] == nil }
        let updated = try await patch(id, set: values, remove: Array(gone), current: current, call: call)
        return proxy.json(["metadata": Self.metadataJSON(updated.properties)], call)
    }

    /// `POST /images/{id}/metadata`: the given properties added or changed, the others kept.
    func merge(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try await proxy.begin(request, context)
        let id = try context.parameters.require("image")
        let values = try await Self.values(request, member: "metadata")
        let current = try await proxy.image(id, call)
        let updated = try await patch(id, set: values, remove: [], current: current, call: call)
        return proxy.json(["metadata": Self.metadataJSON(updated.properties)], call)
    }

    /// `PUT /images/{id}/metadata/{key}` with `{"meta": {key: value}}`.
    func set(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try await proxy.begin(request, context)
        let id = try context.parameters.require("image")
        let key = try context.parameters.require("key")
        let values = try await Self.values(request, member: "meta")
        guard values.count == 1 else { throw Nova.badRequest("Request body contains too many items") }
        guard let value = values[key] else { throw Nova.badRequest("Request body and URI mismatch") }
        let current = try await proxy.image(id, call)
        _ = try await patch(id, set: [key: value], remove: [], current: current, call: call)
        return proxy.json(["meta": [key: .string(value)]], call)
    }

    /// `DELETE /images/{id}/metadata/{key}`.
    func delete(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try await proxy.begin(request, context)
        let id = try context.parameters.require("image")
        let key = try context.parameters.require("key")
        let current = try await proxy.image(id, call)
        guard current.properties[key] != nil else { throw Nova.notFound("Invalid metadata key") }
        _ = try await patch(id, set: [:], remove: [key], current: current, call: call)
        var headers = HTTPFields()
        ComputeMicroversions.addHeaders(call.version, to: &headers)
        return Response(status: .noContent, headers: headers)
    }
}
