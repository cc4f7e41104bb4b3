import Foundation

/// Neutron's `standard-attr-tag` rules (neutron/extensions/tagging.py): which collections carry tags and
/// how a tag list is validated. Shared by the top's Neutron and the simulated one.
public enum NeutronTags {
    /// neutron's MAX_TAG_LEN.
    public static let maxLength = 255

    /// The collections with tags (as written in URLs), with the member name used in messages.
    public static let collections: [(collection: String, member: String)] = [
        ("networks", "network"), ("subnets", "subnet"), ("ports", "port"), ("routers", "router"),
        ("security-groups", "security_group"), ("floatingips", "floatingip"),
    ]

    /// Why one tag is refused (neutron-lib's `validate_string` with MAX_TAG_LEN), or nil.
    public static func problem(_ value: JSONValue) -> String? {
        guard case .string(let tag) = value else { return "'\(quoted(value))' is not a valid string" }
        return tag.count > maxLength ? "'\(tag)' exceeds maximum length of \(maxLength)" : nil
    }

    /// A tag list as neutron-lib's `validate_list_of_unique_strings` takes it: a list of strings of at most
    /// 255 characters, none twice. Returns the reason it is refused (without Neutron's prefix), or the tags.
    public static func check(_ value: JSONValue) -> Result<[String], TagProblem> {
        guard case .array(let items) = value else { return .failure(TagProblem("'\(quoted(value))' is not a list")) }
        var tags: [String] = []
        for item in items {
            if let reason = problem(item) { return .failure(TagProblem(reason)) }
            tags.append(item.stringValue ?? "")
        }
        var seen: Set<String> = [], duplicates: [String] = []
        for tag in tags where !seen.insert(tag).inserted && !duplicates.contains(tag) { duplicates.append(tag) }
        if !duplicates.isEmpty { return .failure(TagProblem("Duplicate items in the list: '\(duplicates.joined(separator: ", "))'")) }
        return .success(tags)
    }

    /// The body of `PUT .../tags` (`{"tags": [...]}`): Neutron's InvalidInput when it is not that.
    public static func replacement(_ body: JSONValue) throws -> [String] {
        guard let tags = body.objectValue?["tags"] else { throw NeutronError.invalidInput("Invalid tags body") }
        switch check(tags) {
        case .success(let list): return list
        case .failure(let problem): throw NeutronError.invalidInput(problem.reason)
        }
    }

    /// One tag named in a URL (`PUT/GET/DELETE .../tags/{tag}`), checked as `validate_tag` does.
    public static func single(_ tag: String) throws -> String {
        if let reason = problem(.string(tag)) { throw NeutronError.invalidInput(reason) }
        return tag
    }

    /// `tags` in a create body, refused as the API layer refuses an attribute ("Invalid input for tags").
    public static func checkAttribute(_ value: JSONValue?) throws {
        guard let value else { return }
        if case .failure(let problem) = check(value) { throw NeutronError.invalidAttribute("tags", reason: problem.reason) }
    }

    /// Neutron's 404 for a tag a resource does not carry.
    public static func notFound(_ tag: String) -> NeutronError {
        NeutronError(status: 404, type: "TagNotFound", message: "Tag \(tag) could not be found.")
    }

    static func quoted(_ value: JSONValue) -> String { String(decoding: value.encoded(), as: UTF8.self) }
}

/// Why a tag list is refused.
public struct TagProblem: Error, Sendable {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
}
