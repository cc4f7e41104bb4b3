import Foundation
import OpenStackClient
import TricircleCore

/// Settings of the gateway's Keystone integration (the `[keystone_authtoken]` section and the catalog interface).
public struct KeystoneAuthConfiguration: Sendable {
    /// Keystone URL, service user, project, domains, per-call timeout.
    public var keystone: KeystoneClientConfiguration
    /// Announced in `WWW-Authenticate: Keystone uri="..."`; Keystone's root from `keystone.authURL` when nil.
    public var wwwAuthenticateURI: String?
    /// The gateway's own Keystone region (the top pod).
    public var regionName: String
    /// Catalog interface for pod endpoints.
    public var interface: String
    /// Most validated tokens kept (least recently used go first).
    public var tokenCacheSize: Int
    /// Longest a validated token is trusted without asking Keystone again (a revoked token works at most
    /// this long); the token's own expiry is the other bound. Zero disables the cache.
    public var tokenCacheTTL: Duration
    /// Answer 401 to tokens not scoped to a project (domain-scoped and unscoped tokens).
    public var requireProjectScope: Bool

    public init(
        keystone: KeystoneClientConfiguration, wwwAuthenticateURI: String? = nil, regionName: String = "RegionOne",
        interface: String = "public", tokenCacheSize: Int = 10_000, tokenCacheTTL: Duration = .seconds(300),
        requireProjectScope: Bool = true
    ) {
        self.keystone = keystone
        self.wwwAuthenticateURI = wwwAuthenticateURI
        self.regionName = regionName
        self.interface = interface
        self.tokenCacheSize = tokenCacheSize
        self.tokenCacheTTL = tokenCacheTTL
        self.requireProjectScope = requireProjectScope
    }

    /// From the INI/environment configuration (`[keystone_authtoken]`, `[client]`).
    public init(_ config: TricircleConfig) {
        self.init(
            keystone: KeystoneClientConfiguration(
                authURL: config.keystoneAuthURL, username: config.serviceUsername, password: config.servicePassword,
                projectName: config.serviceProjectName, userDomainName: config.serviceUserDomainName,
                projectDomainName: config.serviceProjectDomainName,
                timeout: config.keystoneTimeout),
            wwwAuthenticateURI: config.keystoneAnnouncedURL.isEmpty ? nil : config.keystoneAnnouncedURL,
            regionName: config.topRegionName,
            interface: config.endpointInterface.isEmpty ? "public" : config.endpointInterface,
            tokenCacheSize: config.tokenCacheSize, tokenCacheTTL: .seconds(config.tokenCacheTime))
    }

    /// The URI for `WWW-Authenticate`.
    public var announcedURI: String {
        var uri = wwwAuthenticateURI ?? keystone.rootURL
        while uri.hasSuffix("/") { uri.removeLast() }
        return uri
    }
}
