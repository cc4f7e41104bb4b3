import Foundation
import HTTPTypes
import Hummingbird
import OpenStackModels

extension SimulatedIdentity {
    /// The Keystone v3 routes, as a table of contents; handlers live in the files named after each area.
    func addRoutes(to router: Router<BasicRequestContext>) {
        router.get("/") { request, _ in self.versionList(request) }
        router.get("/v3") { request, _ in self.versionDocument(request) }

        // Tokens (SimulatedIdentity+TokenRoutes.swift)
        router.post("/v3/auth/tokens") { request, _ in try await self.issueTokenRoute(request) }
        router.get("/v3/auth/tokens") { request, _ in try self.validateTokenRoute(request, head: false) }
        router.head("/v3/auth/tokens") { request, _ in try self.validateTokenRoute(request, head: true) }
        router.delete("/v3/auth/tokens") { request, _ in try self.revokeTokenRoute(request) }
        router.get("/v3/auth/catalog") { request, _ in try self.authCatalogRoute(request) }
        router.get("/v3/auth/projects") { request, _ in try self.authProjectsRoute(request) }
        router.get("/v3/auth/domains") { request, _ in try self.authDomainsRoute(request) }

        // Catalog (SimulatedIdentity+CatalogRoutes.swift)
        router.get("/v3/regions") { request, _ in try self.listRegions(request) }
        router.post("/v3/regions") { request, _ in try await self.createRegion(request, id: nil) }
        router.get("/v3/regions/:id") { request, context in try self.showRegion(request, id: context.parameters.get("id") ?? "") }
        router.put("/v3/regions/:id") { request, context in try await self.createRegion(request, id: context.parameters.get("id")) }
        router.delete("/v3/regions/:id") { request, context in try self.deleteRegion(request, id: context.parameters.get("id") ?? "") }
        router.get("/v3/services") { request, _ in try self.listServices(request) }
        router.post("/v3/services") { request, _ in try await self.createService(request) }
        router.get("/v3/services/:id") { request, context in try self.showService(request, id: context.parameters.get("id") ?? "") }
        router.delete("/v3/services/:id") { request, context in try self.deleteService(request, id: context.parameters.get("id") ?? "") }
        router.get("/v3/endpoints") { request, _ in try self.listEndpoints(request) }
        router.post("/v3/endpoints") { request, _ in try await self.createEndpoint(request) }
        router.get("/v3/endpoints/:id") { request, context in try self.showEndpoint(request, id: context.parameters.get("id") ?? "") }
        router.delete("/v3/endpoints/:id") { request, context in try self.deleteEndpoint(request, id: context.parameters.get("id") ?? "") }

        // Directory (SimulatedIdentity+DirectoryRoutes.swift)
        router.get("/v3/domains") { request, _ in try self.listDomains(request) }
        router.get("/v3/domains/:id") { request, context in try self.showDomain(request, id: context.parameters.get("id") ?? "") }
        router.get("/v3/projects") { request, _ in try self.listProjects(request) }
        router.post("/v3/projects") { request, _ in try await self.createProject(request) }
        router.get("/v3/projects/:id") { request, context in try self.showProject(request, id: context.parameters.get("id") ?? "") }
        router.put("/v3/projects/:id/users/:user/roles/:role") { request, context in
            try self.assignRole(
                request, projectID: context.parameters.get("id") ?? "", userID: context.parameters.get("user") ?? "",
                roleID: context.parameters.get("role") ?? "")
        }
        router.get("/v3/users") { request, _ in try self.listUsers(request) }
        router.post("/v3/users") { request, _ in try await self.createUser(request) }
        router.get("/v3/users/:id") { request, context in try self.showUser(request, id: context.parameters.get("id") ?? "") }
        router.get("/v3/users/:id/projects") { request, context in try self.userProjects(request, id: context.parameters.get("id") ?? "") }
        router.get("/v3/roles") { request, _ in try self.listRoles(request) }
        router.post("/v3/roles") { request, _ in try await self.createRole(request) }
        router.get("/v3/roles/:id") { request, context in try self.showRole(request, id: context.parameters.get("id") ?? "") }
        router.get("/v3/role_assignments") { request, _ in try self.listRoleAssignments(request) }
    }

    // MARK: Versions

    func versionList(_ request: Request) -> Response {
        let base = Self.baseURL(request)
        return Self.json(IdentityVersionList(versions: [.v3(baseURL: base)]), status: .multipleChoices)
    }

    func versionDocument(_ request: Request) -> Response {
        Self.json(IdentityVersionDocument(version: .v3(baseURL: Self.baseURL(request))))
    }

    // MARK: Shared helpers

    /// `http://host:port` as the caller reached us; links and WWW-Authenticate point there.
    static func baseURL(_ request: Request) -> String {
        let host = request.head.authority ?? "127.0.0.1"
        return "http://\(host)"
    }

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.withoutEscapingSlashes]
        return e
    }()

    static func json(
        _ value: some Encodable, status: HTTPResponse.Status = .ok, headers extra: HTTPFields = [:]
    ) -> Response {
        var headers = extra
        headers[.contentType] = "application/json"
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// A Keystone error; 401s carry `WWW-Authenticate: Keystone uri="..."` as Keystone sends them.
    static func keystoneError(_ status: Int, _ message: String, request: Request) -> SimulatorError {
        var headers: [(String, String)] = []
        if status == 401 {
            // Keystone announces its v3 root here (what `keystone-manage bootstrap` registered as public).
            headers.append(("WWW-Authenticate", "Keystone uri=\"\(baseURL(request))/v3\""))
        }
        return SimulatorError(status: status, message: message, format: .keystone, headers: headers)
    }

    static func unauthorized(_ request: Request) -> SimulatorError {
        keystoneError(401, "The request you have made requires authentication.", request: request)
    }

    static func forbidden(_ request: Request, action: String) -> SimulatorError {
        keystoneError(403, "You are not authorized to perform the requested action: \(action).", request: request)
    }

    /// The caller's token from `X-Auth-Token`, or a 401.
    func caller(_ request: Request) throws -> SimulatedToken {
        guard let id = request.headers[.xAuthToken], !id.isEmpty, let token = validate(token: id) else {
            throw Self.unauthorized(request)
        }
        return token
    }

    /// The caller's token when it carries the admin role; 401 or 403 otherwise.
    func adminCaller(_ request: Request, action: String) throws -> SimulatedToken {
        let token = try caller(request)
        guard token.isAdmin else { throw Self.forbidden(request, action: action) }
        return token
    }

    /// Reads and decodes a JSON body, answering Keystone's 400 when it is not what `type` expects.
    static func decodeBody<T: Decodable>(_ type: T.Type, _ request: Request) async throws -> T {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: 1 << 20)
        } catch {
            throw keystoneError(413, "Request Entity Too Large", request: request)
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer.readableBytesView))
        } catch let DecodingError.keyNotFound(key, _) {
            throw keystoneError(
                400, "Invalid input for field '\(key.stringValue)': '\(key.stringValue)' is a required property",
                request: request)
        } catch let DecodingError.typeMismatch(_, context) {
            let field = context.codingPath.last?.stringValue ?? "body"
            throw keystoneError(400, "Invalid input for field '\(field)': \(context.debugDescription)", request: request)
        } catch {
            throw keystoneError(
                400,
                "The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.",
                request: request)
        }
    }

    static func query(_ request: Request, _ name: String) -> String? {
        request.uri.queryParameters[Substring(name)].map(String.init)
    }

    static func collectionLinks(_ request: Request, path: String) -> CollectionLinks {
        CollectionLinks(selfLink: baseURL(request) + path)
    }
}
