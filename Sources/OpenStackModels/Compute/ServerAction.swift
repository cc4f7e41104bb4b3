import Foundation

/// `POST /servers/{id}/action` body's `rebuild` object, kept whole so every other field (name, metadata,
/// adminPass, user_data, ...) reaches the pod as sent.
public struct ServerRebuild: JSONObjectBacked {
    public var object: [String: JSONValue]
    public init(object: [String: JSONValue]) { self.object = object }

    /// The image to rebuild from: an id or a URL ending in one.
    public var imageRef: String? {
        get { string("imageRef") }
        set { set("imageRef", newValue) }
    }
    /// A new key pair (2.54+).
    public var keyName: String? { string("key_name") }
}

/// `POST /servers/{id}/action` body's `resize` object, kept whole (OS-DCF:diskConfig passes through).
public struct ServerResize: JSONObjectBacked {
    public var object: [String: JSONValue]
    public init(object: [String: JSONValue]) { self.object = object }

    /// The new flavor: an id (string or number) or a URL ending in one.
    public var flavorRef: String? {
        get { ServerCreate.reference(object["flavorRef"]) }
        set { set("flavorRef", newValue) }
    }
}
