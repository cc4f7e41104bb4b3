import ArgumentParser
import AsyncHTTPClient
import Foundation
import OpenStackClient
import OpenStackModels

/// Where the admin API is and how to authenticate, shared by `pod`, `routing` and `job` commands.
///
/// Credentials come from the usual OpenStack environment (`OS_AUTH_URL`, `OS_USERNAME`, `OS_PASSWORD`,
/// `OS_PROJECT_NAME`, `OS_USER_DOMAIN_NAME`, `OS_PROJECT_DOMAIN_NAME`) or `--os-token`.
struct AdminConnectionOptions: ParsableArguments {
    static let environment = ProcessInfo.processInfo.environment

    @Option(name: .customLong("admin-url"), help: "Admin API URL (env TRICIRCLE_ADMIN_URL).")
    var adminURL: String = environment["TRICIRCLE_ADMIN_URL"] ?? "http://127.0.0.1:19999"

    @Option(name: .customLong("os-token"), help: "A Keystone token with the admin role (env OS_TOKEN); skips password auth.")
    var token: String? = environment["OS_TOKEN"]

    @Option(name: .customLong("os-auth-url"), help: "Keystone URL (env OS_AUTH_URL).")
    var authURL: String? = environment["OS_AUTH_URL"]

    @Option(name: .customLong("os-username"), help: "User name (env OS_USERNAME).")
    var username: String? = environment["OS_USERNAME"]

    @Option(name: .customLong("os-password"), help: "Password (env OS_PASSWORD).")
    var password: String? = environment["OS_PASSWORD"]

    @Option(name: .customLong("os-project-name"), help: "Project to scope the token to (env OS_PROJECT_NAME).")
    var projectName: String? = environment["OS_PROJECT_NAME"]

    @Option(name: .customLong("os-user-domain-name"), help: "The user's domain (env OS_USER_DOMAIN_NAME).")
    var userDomainName: String = environment["OS_USER_DOMAIN_NAME"] ?? "Default"

    @Option(name: .customLong("os-project-domain-name"), help: "The project's domain (env OS_PROJECT_DOMAIN_NAME).")
    var projectDomainName: String = environment["OS_PROJECT_DOMAIN_NAME"] ?? "Default"

    @Option(name: [.customShort("f"), .customLong("format")], help: "Output format: table or json.")
    var format: OutputFormat = .table

    /// Authenticates (unless a token was given), runs `body` with a client, and always closes the HTTP client.
    func withClient<T: Sendable>(_ body: (AdminHTTPClient) async throws -> T) async throws -> T {
        let http = SharedHTTPClient.make()
        do {
            let token = try await obtainToken(http)
            let result = try await body(AdminHTTPClient(baseURL: adminURL, token: token, http: http))
            try await http.shutdown()
            return result
        } catch {
            try? await http.shutdown()
            throw error
        }
    }

    func obtainToken(_ http: HTTPClient) async throws -> String {
        if let token, !token.isEmpty { return token }
        guard let authURL, let username, let password else {
            throw AdminClientError(
                description: "No credentials: set OS_AUTH_URL, OS_USERNAME, OS_PASSWORD and OS_PROJECT_NAME (or pass --os-token).")
        }
        let keystone = KeystoneClient(configuration: KeystoneClientConfiguration(authURL: authURL), httpClient: http)
        do {
            let issued = try await keystone.authenticate(
                .password(
                    userName: username, password: password, userDomainName: userDomainName,
                    projectName: projectName, projectDomainName: projectDomainName),
                includeCatalog: false)
            return issued.id
        } catch let error as OpenStackClientError {
            if let status = error.httpStatus, status == 401 {
                throw AdminClientError(description: "Keystone at \(authURL) rejected user \(username): check OS_USERNAME/OS_PASSWORD")
            }
            throw AdminClientError(description: "cannot authenticate with Keystone: \(error)")
        }
    }
}

/// `-f table` (default, readable) or `-f json` (the API's own JSON, for scripts).
enum OutputFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
    case table
    case json
}
