import Foundation

/// The error body Nova and Cinder send: `{"itemNotFound": {"message": "...", "code": 404}}`.
///
/// The single top-level key names the fault (`badRequest`, `itemNotFound`, `conflictingRequest`,
/// `forbidden`, `computeFault`, `overLimit`, ...).
public struct OpenStackFault: Codable, Sendable, Hashable, Error {
    /// Fault name, the body's only key.
    public var name: String
    /// Human readable explanation.
    public var message: String
    /// HTTP status code repeated in the body.
    public var code: Int

    public init(name: String, message: String, code: Int) {
        self.name = name
        self.message = message
        self.code = code
    }

    /// The conventional fault name for a status code, as Nova/Cinder use it.
    public static func name(forStatus code: Int) -> String {
        switch code {
        case 400: "badRequest"
        case 401: "unauthorized"
        case 403: "forbidden"
        case 404: "itemNotFound"
        case 405: "badMethod"
        case 409: "conflictingRequest"
        case 413: "overLimit"
        case 415: "badMediaType"
        case 429: "overLimit"
        case 501: "notImplemented"
        case 503: "serviceUnavailable"
        default: code >= 500 ? "computeFault" : "badRequest"
        }
    }

    /// A fault with the conventional name for its code.
    public init(code: Int, message: String) {
        self.init(name: Self.name(forStatus: code), message: message, code: code)
    }

    private struct Inner: Codable, Sendable, Hashable {
        var message: String
        var code: Int
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let dictionary = try container.decode([String: Inner].self)
        guard let (name, inner) = dictionary.first else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "empty fault body")
        }
        self.init(name: name, message: inner.message, code: inner.code)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode([name: Inner(message: message, code: code)])
    }
}

/// The error body Keystone sends: `{"error": {"code": 401, "title": "Unauthorized", "message": "..."}}`.
public struct KeystoneErrorBody: Codable, Sendable, Hashable {
    /// The inner error.
    public struct Detail: Codable, Sendable, Hashable {
        public var code: Int
        public var title: String
        public var message: String
        public init(code: Int, title: String, message: String) {
            self.code = code
            self.title = title
            self.message = message
        }
    }
    public var error: Detail
    public init(code: Int, title: String, message: String) {
        error = Detail(code: code, title: title, message: message)
    }
}

/// The error body Neutron sends: `{"NeutronError": {"type": "NetworkNotFound", "message": "...", "detail": ""}}`.
public struct NeutronErrorBody: Codable, Sendable, Hashable {
    /// The inner error.
    public struct Detail: Codable, Sendable, Hashable {
        public var type: String
        public var message: String
        public var detail: String
        public init(type: String, message: String, detail: String = "") {
            self.type = type
            self.message = message
            self.detail = detail
        }
    }
    public var neutronError: Detail
    enum CodingKeys: String, CodingKey { case neutronError = "NeutronError" }
    public init(type: String, message: String, detail: String = "") {
        neutronError = Detail(type: type, message: message, detail: detail)
    }
}

/// The error body Glance (webob) sends to JSON clients: `{"code": "404 Not Found", "title": "Not Found", "message": "..."}`.
///
/// Without `Accept: application/json` Glance answers text/html instead; clients should treat the status as authoritative.
public struct GlanceErrorBody: Codable, Sendable, Hashable {
    /// Full status line, e.g. "404 Not Found".
    public var code: String
    public var title: String
    public var message: String
    public init(status: Int, message: String) {
        self.code = "\(status) \(HTTPReason.phrase(status))"
        self.title = HTTPReason.phrase(status)
        self.message = message
    }
}

/// The error body Trove sends: `{"itemNotFound": {"message": ..., "code": 404}}`, same shape as Nova.
public typealias TroveFault = OpenStackFault

/// Standard HTTP reason phrases used in error titles.
public enum HTTPReason {
    /// The reason phrase for a status code ("Not Found").
    public static func phrase(_ code: Int) -> String {
        switch code {
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 406: "Not Acceptable"
        case 409: "Conflict"
        case 410: "Gone"
        case 413: "Request Entity Too Large"
        case 415: "Unsupported Media Type"
        case 429: "Too Many Requests"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        default: "Error"
        }
    }
}
