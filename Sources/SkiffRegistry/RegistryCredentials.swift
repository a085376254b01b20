import FoundationEssentials

/// A user name and password (or identity token) for one registry.
public struct RegistryCredentials: Equatable, Sendable {
    public var username: String
    public var password: String

    public init(username: String, password: String) {
        self.username = username
        self.password = password
    }

    /// Parses `user:password` as `--creds` takes it (the password may contain ':').
    public init?(userColonPassword text: String) {
        guard let colon = text.firstIndex(of: ":"), colon != text.startIndex else { return nil }
        self.init(username: String(text[..<colon]), password: String(text[text.index(after: colon)...]))
    }

    /// The value of an `Authorization: Basic …` header.
    var basicAuthorization: String {
        "Basic " + Data("\(username):\(password)".utf8).base64EncodedString()
    }
}

/// The credentials of a Docker config file (`~/.docker/config.json`, and the
/// `.dockerconfigjson` key of a `kubernetes.io/dockerconfigjson` Secret), by registry.
public struct DockerConfig: Sendable {
    /// Keyed by the registry as written in the file: "registry.example:5000",
    /// "https://index.docker.io/v1/".
    public var auths: [String: RegistryCredentials]

    public init(auths: [String: RegistryCredentials] = [:]) {
        self.auths = auths
    }

    private struct File: Decodable {
        struct Entry: Decodable {
            var auth: String?
            var username: String?
            var password: String?
        }
        var auths: [String: Entry]?
    }

    /// Parses the JSON; an entry's `auth` (base64 of "user:password") wins over its separate
    /// username and password, as Docker reads them. Entries with neither are skipped.
    public init(json bytes: [UInt8]) throws(RegistryError) {
        let file: File
        do {
            file = try JSONDecoder().decode(File.self, from: Data(bytes))
        } catch {
            throw .badResponse(url: "docker config", detail: "not a docker config.json: \(error)")
        }
        var auths: [String: RegistryCredentials] = [:]
        for (key, entry) in file.auths ?? [:] {
            if let auth = entry.auth, let decoded = Data(base64Encoded: auth),
                let credentials = RegistryCredentials(userColonPassword: String(decoding: decoded, as: UTF8.self))
            {
                auths[key] = credentials
            } else if let username = entry.username, let password = entry.password {
                auths[key] = RegistryCredentials(username: username, password: password)
            }
        }
        self.auths = auths
    }

    /// The credentials for a registry domain as an image reference names it ("docker.io",
    /// "registry.example:5000"), matching keys written as a host, a URL, or Docker Hub's
    /// historical "https://index.docker.io/v1/".
    public func credentials(for domain: String) -> RegistryCredentials? {
        for (key, credentials) in auths.sorted(by: { $0.key < $1.key }) where Self.host(of: key) == domain {
            return credentials
        }
        return nil
    }

    /// "https://index.docker.io/v1/" → "docker.io"; "http://r.example:5000/x" → "r.example:5000".
    static func host(of key: String) -> String {
        var host = Substring(key)
        for scheme in ["https://", "http://"] where host.hasPrefix(scheme) { host = host.dropFirst(scheme.count) }
        if let slash = host.firstIndex(of: "/") { host = host[..<slash] }
        switch host {
        case "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com": return "docker.io"
        default: return String(host)
        }
    }
}
