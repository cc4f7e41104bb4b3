import OpenStackModels
import TricircleGateway

/// Cinder's request schema for the fields the top passes on when it creates a volume or snapshot
/// (cinder/api/validation/parameter_types.py): names and descriptions are strings of at most 255
/// characters, metadata an object of strings with keys of 1-255 characters. Checked at the top so a bad
/// create is refused before a pod is chosen or an image copied, in Cinder's words.
enum VolumeValidation {
    static let maxLength = 255

    /// Checks a `{"volume": {...}}` or `{"snapshot": {...}}` member.
    static func check(_ member: [String: JSONValue]) throws {
        for field in ["name", "description", "display_name", "display_description"] {
            guard let value = member[field] else { continue }
            switch value {
            case .null: continue
            case .string(let text) where text.count > maxLength:
                throw invalid(field, value, "'\(text)' is too long")
            case .string: continue
            default: throw invalid(field, value, "\(shown(value)) is not of type 'string', 'null'")
            }
        }
        if let metadata = member["metadata"] {
            switch metadata {
            case .null: break
            case .object(let items):
                for (key, item) in items.sorted(by: { $0.key < $1.key }) {
                    guard (1...maxLength).contains(key.count) else {
                        throw invalid("metadata", metadata, "'\(key)' does not match any of the regexes: '^[a-zA-Z0-9-_:. /]{1,255}$'")
                    }
                    guard case .string(let text) = item else {
                        throw invalid("metadata/\(key)", item, "\(shown(item)) is not of type 'string'")
                    }
                    if text.count > maxLength { throw invalid("metadata/\(key)", item, "'\(text)' is too long") }
                }
            default:
                throw invalid("metadata", metadata, "\(shown(metadata)) is not of type 'object'")
            }
        }
    }

    static func shown(_ value: JSONValue) -> String { String(decoding: value.encoded(), as: UTF8.self) }

    static func invalid(_ field: String, _ value: JSONValue, _ reason: String) -> APIError {
        APIError(.badRequest, "Invalid input for field/attribute \(field). Value: \(shown(value)). \(reason)", format: .fault)
    }
}
