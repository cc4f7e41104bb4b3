import Foundation

/// `POST /volumes/{id}/action` body's `os-extend` object, kept whole for pass-through.
public struct VolumeExtend: JSONObjectBacked {
    public var object: [String: JSONValue]
    public init(object: [String: JSONValue]) { self.object = object }

    /// The size asked for in GiB; Cinder takes a number or its text (`validate_integer`).
    public var newSize: Int? { int("new_size") ?? string("new_size").flatMap { Int($0) } }
}
