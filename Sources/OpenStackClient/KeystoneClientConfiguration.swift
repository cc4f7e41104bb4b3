import Foundation

/// Where Keystone is and who the gateway is to it (keystonemiddleware's `[keystone_authtoken]` options).
public struct KeystoneClientConfiguration: Sendable, Hashable {
    /// Keystone URL, with or without the trailing `/v3` (`http://127.0.0.1:5000/v3`, `http://host/identity`).
    public var authURL: String
    public var username: String
    public var password: String
    public var projectName: String
    public var userDomainName: String
    public var projectDomainName: String
    /// Per-call timeout for Keystone requests.
    public var timeout: Duration
    /// Re-authenticate this long before the service token expires.
    public var reauthenticateBefore: Duration

    public init(
        authURL: String, username: String = "tricircle", password: String = "servicepass",
        projectName: String = "service", userDomainName: String = "Default", projectDomainName: String = "Default",
        timeout: Duration = .seconds(10), reauthenticateBefore: Duration = .seconds(120)
    ) {
        self.authURL = authURL
        self.username = username
        self.password = password
        self.projectName = projectName
        self.userDomainName = userDomainName
        self.projectDomainName = projectDomainName
        self.timeout = timeout
        self.reauthenticateBefore = reauthenticateBefore
    }

    /// The v3 root, without a trailing slash: `http://127.0.0.1:5000/v3`.
    public var v3URL: String {
        var base = authURL
        while base.hasSuffix("/") { base.removeLast() }
        if base.hasSuffix("/v3") { return base }
        return base + "/v3"
    }

    /// Keystone's root, for `WWW-Authenticate: Keystone uri="..."` when nothing else is configured.
    public var rootURL: String {
        let v3 = v3URL
        return String(v3.dropLast(3))
    }
}

extension Duration {
    /// Seconds as a `TimeInterval`.
    var timeInterval: TimeInterval {
        let (seconds, attoseconds) = components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }
}
