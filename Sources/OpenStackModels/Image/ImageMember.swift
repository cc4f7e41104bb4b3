import Foundation

/// Glance's request body adding a member (a project) to a shared image: `POST /v2/images/{id}/members`.
public struct ImageMemberCreate: Codable, Sendable, Hashable {
    public var member: String

    public init(member: String) {
        self.member = member
    }
}
