import AsyncHTTPClient
import FoundationEssentials
import NIOCore
import NIOHTTP1

/// Speaks the OCI Distribution API to one repository of one registry for the length of a pull:
/// picks HTTPS (or plain HTTP where allowed), answers `WWW-Authenticate` challenges (basic, or
/// a bearer token fetched from the challenge's realm) and keeps the resulting authorization for
/// the requests that follow.
actor RegistryClient {
    let domain: String
    let repository: String
    let hosts: RegistryHosts
    let credentials: RegistryCredentials?
    let http: HTTPClient
    let schemes: SchemeCache
    private var authorization: String?

    init(domain: String, repository: String, hosts: RegistryHosts, credentials: RegistryCredentials?, http: HTTPClient, schemes: SchemeCache) {
        self.domain = domain
        self.repository = repository
        self.hosts = hosts
        self.credentials = credentials
        self.http = http
        self.schemes = schemes
    }

    private var scheme: String? { schemes[domain] }

    /// GETs `/v2/<repository>/<path>` and returns the 200 response with its body unread;
    /// any other answer throws a `RegistryError` that says what the registry said.
    func get(_ path: String, accept: [String] = [], timeout: TimeAmount) async throws -> HTTPClientResponse {
        var lastChallenge = ""
        for _ in 0..<3 {
            var request = HTTPClientRequest(url: "")
            request.headers.add(name: "User-Agent", value: "skiff")
            for type in accept { request.headers.add(name: "Accept", value: type) }
            if let authorization { request.headers.add(name: "Authorization", value: authorization) }
            let response = try await execute(request, path: "/v2/\(repository)/\(path)", timeout: timeout)
            if response.status == .ok { return response }
            let body = (try? await response.body.collect(upTo: 64 * 1024)).map { String(buffer: $0) } ?? ""
            let url = "\(scheme ?? "https")://\(hosts.endpoint(for: domain))/v2/\(repository)/\(path)"
            switch response.status {
            case .unauthorized:
                let challenges = response.headers["WWW-Authenticate"].flatMap(AuthChallenge.parse)
                lastChallenge = Self.registryMessage(body) ?? "authentication required"
                try await authenticate(challenges, previous: lastChallenge)
            case .forbidden:
                throw RegistryError.unauthorized(registry: domain, repository: repository, detail: Self.registryMessage(body) ?? "forbidden")
            case .notFound:
                throw RegistryError.notFound(reference: "\(domain)/\(repository)", detail: Self.registryMessage(body) ?? "\(path) is not there")
            default:
                throw RegistryError.badResponse(url: url, detail: "HTTP \(response.status.code)\(Self.registryMessage(body).map { ": " + $0 } ?? "")")
            }
        }
        throw RegistryError.unauthorized(registry: domain, repository: repository, detail: lastChallenge)
    }

    /// Sends the request over the scheme already found to work, or finds it: HTTPS first, and
    /// plain HTTP only for an insecure (or loopback) registry whose HTTPS cannot be reached.
    private func execute(_ template: HTTPClientRequest, path: String, timeout: TimeAmount) async throws -> HTTPClientResponse {
        let endpoint = hosts.endpoint(for: domain)
        let schemes = scheme.map { [$0] } ?? (hosts.isInsecure(domain) ? ["https", "http"] : ["https"])
        var failure: (any Error)?
        for candidate in schemes {
            var request = template
            request.url = "\(candidate)://\(endpoint)\(path)"
            if candidate == "https" { request.tlsConfiguration = hosts.tlsConfiguration(for: domain) }
            // A plain-HTTP server may never answer a TLS hello: the probe gets a few seconds.
            let probing = schemes.count > 1 && candidate == "https"
            do {
                let response = try await http.execute(request, timeout: probing ? min(timeout, .seconds(5)) : timeout)
                self.schemes[domain] = candidate
                return response
            } catch {
                failure = error
            }
        }
        throw RegistryError.unreachable(url: "\(schemes[0])://\(endpoint)\(path)", detail: failure.map { "\($0)" } ?? "no scheme to try")
    }

    /// Answers a 401: basic credentials, or a bearer token from the realm the challenge names.
    private func authenticate(_ challenges: [AuthChallenge], previous detail: String) async throws {
        let denied = { (why: String) in RegistryError.unauthorized(registry: self.domain, repository: self.repository, detail: why) }
        if let bearer = challenges.first(where: { $0.scheme == "bearer" }), let realm = bearer.parameters["realm"] {
            if authorization?.hasPrefix("Bearer ") == true {
                throw denied(credentials == nil ? "\(detail) (no credentials were given)" : "\(detail) (the registry refused the token it issued)")
            }
            authorization = "Bearer " + (try await fetchToken(realm: realm, service: bearer.parameters["service"], scope: bearer.parameters["scope"]))
        } else if challenges.contains(where: { $0.scheme == "basic" }) {
            guard let credentials else { throw denied("\(detail) (no credentials were given)") }
            if authorization != nil { throw denied("\(detail) (the registry refused the credentials for user \(credentials.username.quotedForMessage))") }
            authorization = credentials.basicAuthorization
        } else {
            throw denied("\(detail) (the registry asks for an authentication scheme skiff does not speak)")
        }
    }

    /// The token flow of the distribution spec: GET the realm with service and scope (basic
    /// credentials if we have them), answer {"token": …} or {"access_token": …}.
    private func fetchToken(realm: String, service: String?, scope: String?) async throws -> String {
        var query: [String] = []
        if let service { query.append("service=" + Self.percentEncoded(service)) }
        query.append("scope=" + Self.percentEncoded(scope ?? "repository:\(repository):pull"))
        var request = HTTPClientRequest(url: realm + (realm.contains("?") ? "&" : "?") + query.joined(separator: "&"))
        request.headers.add(name: "User-Agent", value: "skiff")
        if let credentials { request.headers.add(name: "Authorization", value: credentials.basicAuthorization) }
        if realm.hasPrefix("https://") { request.tlsConfiguration = hosts.tlsConfiguration(for: domain) }
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, timeout: .seconds(30))
        } catch {
            throw RegistryError.unreachable(url: realm, detail: "\(error)")
        }
        let body = try await response.body.collect(upTo: 1 << 20)
        guard response.status == .ok else {
            let message = Self.registryMessage(String(buffer: body)) ?? "HTTP \(response.status.code)"
            if response.status == .unauthorized || response.status == .forbidden {
                throw RegistryError.unauthorized(registry: domain, repository: repository, detail: "the token service refused: \(message)")
            }
            throw RegistryError.badResponse(url: realm, detail: message)
        }
        struct Token: Decodable {
            var token: String?
            var accessToken: String?
            enum CodingKeys: String, CodingKey {
                case token
                case accessToken = "access_token"
            }
        }
        guard let decoded = try? JSONDecoder().decode(Token.self, from: Data(body.readableBytesView)), let token = decoded.token ?? decoded.accessToken,
            !token.isEmpty
        else {
            throw RegistryError.badResponse(url: realm, detail: "the token service's answer has no token")
        }
        return token
    }

    /// The messages of a distribution error body, {"errors":[{"code":…,"message":…}]}.
    static func registryMessage(_ body: String) -> String? {
        struct Errors: Decodable {
            struct Entry: Decodable {
                var code: String?
                var message: String?
            }
            var errors: [Entry]
        }
        guard let decoded = try? JSONDecoder().decode(Errors.self, from: Data(body.utf8)), !decoded.errors.isEmpty else { return nil }
        return decoded.errors.map { [$0.code, $0.message].compactMap { $0 }.joined(separator: ": ") }.joined(separator: "; ")
    }

    static func percentEncoded(_ text: String) -> String {
        var result = ""
        for byte in text.utf8 {
            if byte.isUnreserved {
                result.append(Character(Unicode.Scalar(byte)))
            } else {
                result += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return result
    }
}

extension UInt8 {
    fileprivate var isUnreserved: Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(self) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(self)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self) || self == UInt8(ascii: "-") || self == UInt8(ascii: ".")
            || self == UInt8(ascii: "_") || self == UInt8(ascii: "~")
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: Swift.max(0, width - count)) + self
    }
}
