import Foundation
import Hummingbird
import OpenStackModels

/// One project an image is shared with (Glance's image member) and its answer to the share.
struct ImageMemberRecord: Sendable {
    var memberID: String
    var status: String
    var created: Date
    var updated: Date
}

/// Glance's image sharing (`/v2/images/{id}/members`, glance/api/v2/image_members.py, policies with the new
/// defaults of 2026.1): only `shared` images have members; the owner adds and removes them, each member
/// accepts or rejects for itself; a member sees the image whatever its status, lists it once accepted.
extension ImageAPI {
    static let memberStatuses: Set<String> = ["pending", "accepted", "rejected"]
    /// Glance's `image_member_quota` default.
    static let memberLimit = 128

    func memberJSON(_ m: ImageMemberRecord, imageID: String) -> JSONValue {
        [
            "member_id": .string(m.memberID), "image_id": .string(imageID), "status": .string(m.status),
            "created_at": .string(SimTime.iso(m.created)), "updated_at": .string(SimTime.iso(m.updated)),
            "schema": "/v2/schemas/member",
        ]
    }

    /// The image for a member call, and its members; `forbidden` (with Glance's reason appended when
    /// `withReason`) when the image is not shared.
    private func sharedImage(
        _ call: ImageCall, in state: ImageState, forbidden: String, withReason: Bool = false
    ) throws -> (ImageRecord, [ImageMemberRecord]) {
        let image = try findImage(try call.param("id"), call, in: state)
        guard image.visibility == "shared" else {
            throw Self.error(403, withReason ? "\(forbidden): Only shared images have members." : forbidden)
        }
        return (image, state.members[image.id] ?? [])
    }

    func listMembers(_ call: ImageCall) async throws -> Response {
        let id = try call.param("id")
        let (image, members) = try store.images.withLock { state in
            try sharedImage(call, in: state, forbidden: "Not allowed to list members for image \(id)", withReason: true)
        }
        // A member sees its own membership only; the owner (and an admin) every one.
        let shown = canModify(image, call) ? members : members.filter { $0.memberID == call.token.projectID }
        return SimHTTP.json([
            "members": .array(shown.map { memberJSON($0, imageID: image.id) }), "schema": "/v2/schemas/members",
        ])
    }

    func showMember(_ call: ImageCall) async throws -> Response {
        let memberID = try call.param("member")
        let (image, member) = try store.images.withLock { state -> (ImageRecord, ImageMemberRecord?) in
            do {
                let (image, members) = try sharedImage(call, in: state, forbidden: "Only shared images have members.")
                return (image, members.first { $0.memberID == memberID })
            } catch let error as SimulatorError where error.code == 403 {
                // Glance turns Forbidden into NotFound here, so as not to tell what exists.
                throw Self.error(404, error.message)
            }
        }
        guard let member, canModify(image, call) || member.memberID == call.token.projectID else {
            throw Self.error(404, "\(memberID) not found in the member list of the image \(image.id).")
        }
        return SimHTTP.json(memberJSON(member, imageID: image.id))
    }

    func addMember(_ call: ImageCall) async throws -> Response {
        let id = try call.param("id")
        let body = try await SimHTTP.body(call.request, context: call.context, format: .glance)
        guard let fields = body.objectValue else {
            throw Self.error(400, "Expected a member in the form: {\"member\": \"image_id\"}")
        }
        guard let value = fields["member"] else { throw Self.error(400, "Member to be added not specified") }
        guard let memberID = value.stringValue, !memberID.isEmpty else { throw Self.error(400, "Member can't be empty") }
        let member = try store.images.withLock { state -> ImageMemberRecord in
            let forbidden = "Not allowed to create members for image \(id)."
            let (image, members) = try sharedImage(call, in: state, forbidden: forbidden)
            guard canModify(image, call) else { throw Self.error(403, forbidden) }
            if members.contains(where: { $0.memberID == memberID }) {
                throw Self.error(409, "Member \(memberID) is duplicated for image \(id)")
            }
            guard members.count < Self.memberLimit else {
                throw Self.error(413, "Image member limit exceeded for image \(id): Maximum number of image members exceeded: attempted \(members.count + 1), maximum \(Self.memberLimit):")
            }
            let member = ImageMemberRecord(memberID: memberID, status: "pending", created: call.now, updated: call.now)
            state.members[image.id, default: []].append(member)
            return member
        }
        return SimHTTP.json(memberJSON(member, imageID: id))
    }

    func updateMember(_ call: ImageCall) async throws -> Response {
        let id = try call.param("id")
        let memberID = try call.param("member")
        let body = try await SimHTTP.body(call.request, context: call.context, format: .glance)
        guard let fields = body.objectValue else {
            throw Self.error(400, "Expected a status in the form: {\"status\": \"status\"}")
        }
        guard let status = fields["status"] else { throw Self.error(400, "Status not specified") }
        let member = try store.images.withLock { state -> ImageMemberRecord in
            let forbidden = "Not allowed to update members for image \(id)."
            let (image, members) = try sharedImage(call, in: state, forbidden: forbidden)
            guard let index = members.firstIndex(where: { $0.memberID == memberID }),
                  canModify(image, call) || memberID == call.token.projectID
            else {
                throw Self.error(404, "\(memberID) not found in the member list of the image \(image.id).")
            }
            // modify_member: the member itself (or an admin) answers the share, not the owner.
            guard call.isAdmin || memberID == call.token.projectID else { throw Self.error(403, forbidden) }
            guard let text = status.stringValue, Self.memberStatuses.contains(text) else {
                throw Self.error(400, "Incorrect request: Status must be \"pending\", \"accepted\" or \"rejected\".")
            }
            var member = members[index]
            member.status = text
            member.updated = call.now
            state.members[image.id]?[index] = member
            return member
        }
        return SimHTTP.json(memberJSON(member, imageID: id))
    }

    func deleteMember(_ call: ImageCall) async throws -> Response {
        let id = try call.param("id")
        let memberID = try call.param("member")
        try store.images.withLock { state in
            let forbidden = "Not allowed to delete members for image \(id)."
            let (image, members) = try sharedImage(call, in: state, forbidden: forbidden)
            guard canModify(image, call) else { throw Self.error(403, forbidden) }
            guard members.contains(where: { $0.memberID == memberID }) else {
                throw Self.error(404, "\(memberID) not found in the member list of the image \(image.id).")
            }
            state.members[image.id]?.removeAll { $0.memberID == memberID }
        }
        return SimHTTP.empty(status: 204)
    }

    // MARK: Schemas

    static var memberSchemaJSON: JSONValue {
        let uuid = "^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$"
        return [
            "name": "member",
            "properties": [
                "member_id": ["type": "string", "description": "An identifier for the image member (tenantId)"],
                "image_id": ["type": "string", "description": "An identifier for the image", "pattern": .string(uuid)],
                "created_at": ["type": "string", "description": "Date and time of image member creation"],
                "updated_at": ["type": "string", "description": "Date and time of last modification of image member"],
                "status": ["type": "string", "description": "The status of this image member", "enum": ["pending", "accepted", "rejected"]],
                "schema": ["type": "string", "readOnly": true],
            ],
            "additionalProperties": false,
        ]
    }

    func memberSchema(_ call: ImageCall) async throws -> Response { SimHTTP.json(Self.memberSchemaJSON) }

    func membersSchema(_ call: ImageCall) async throws -> Response {
        SimHTTP.json([
            "name": "members",
            "properties": [
                "members": ["type": "array", "items": Self.memberSchemaJSON],
                "schema": ["type": "string"], "first": ["type": "string"], "next": ["type": "string"],
            ],
            "links": [["rel": "first", "href": "{first}"], ["rel": "next", "href": "{next}"], ["rel": "describedby", "href": "{schema}"]],
        ])
    }
}
