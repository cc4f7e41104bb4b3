import Foundation

/// A `POST /servers/{id}/action` body: one key naming the action, its argument object (or null).
///
/// Examples: `{"reboot": {"type": "SOFT"}}`, `{"os-stop": null}`, `{"resize": {"flavorRef": "2"}}`,
/// `{"createImage": {"name": "snap"}}`, `{"os-getConsoleOutput": {"length": 50}}`.
public struct ServerAction: Codable, Sendable, Hashable {
    /// The action name: reboot, os-stop, os-start, pause, unpause, suspend, resume, lock, unlock,
    /// resize, confirmResize, revertResize, rebuild, shelve, shelveOffload, unshelve, createImage,
    /// os-getConsoleOutput, addSecurityGroup, removeSecurityGroup, changePassword, migrate, evacuate...
    public var name: String
    /// The argument, `.null` for argument-less actions.
    public var arguments: JSONValue

    public init(name: String, arguments: JSONValue = .null) {
        self.name = name
        self.arguments = arguments
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let object = try container.decode([String: JSONValue].self)
        guard object.count == 1, let (name, arguments) = object.first else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "an action body has exactly one key")
        }
        self.init(name: name, arguments: arguments)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode([name: arguments])
    }

    /// `{"reboot": {"type": "SOFT"|"HARD"}}`.
    public static func reboot(hard: Bool = false) -> Self {
        Self(name: "reboot", arguments: ["type": .string(hard ? "HARD" : "SOFT")])
    }
    /// `{"resize": {"flavorRef": ...}}`.
    public static func resize(flavorRef: String) -> Self {
        Self(name: "resize", arguments: ["flavorRef": .string(flavorRef)])
    }
    /// `{"createImage": {"name": ..., "metadata": {...}}}`.
    public static func createImage(name: String, metadata: [String: String] = [:]) -> Self {
        Self(name: "createImage", arguments: ["name": .string(name), "metadata": .object(metadata.mapValues { .string($0) })])
    }
}
