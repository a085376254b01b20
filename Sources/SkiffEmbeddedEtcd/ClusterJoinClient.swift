import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import SkiffAPI
import SkiffAPIServer

/// The joining side: fetches the CA from the first server, checks it against the token's hash,
/// then asks (over TLS that trusts only that CA) to be added.
public struct ClusterJoinClient: Sendable {
    let serverURL: String
    let token: ServerToken

    public init(serverURL: String, token: ServerToken) {
        self.serverURL = serverURL.hasSuffix("/") ? String(serverURL.dropLast()) : serverURL
        self.token = token
    }

    /// Joins, trying again for up to `patience` while the cluster cannot take a member yet: etcd
    /// refuses to add one (503, "unhealthy cluster") until the last one added has been connected
    /// for a few seconds, and the first server may still be starting.
    public func join(_ request: ClusterJoinRequest, patience: Duration = .seconds(120)) async throws -> ClusterJoinResponse {
        let deadline = ContinuousClock.now + patience
        while true {
            do {
                return try await joinOnce(request)
            } catch let error as JoinRefused where error.retryable && ContinuousClock.now < deadline {
                try await Task.sleep(for: .seconds(2))
            }
        }
    }

    struct JoinRefused: Error, CustomStringConvertible {
        let description: String
        let retryable: Bool
    }

    func joinOnce(_ request: ClusterJoinRequest) async throws -> ClusterJoinResponse {
        // Nothing is trusted yet: the CA's hash in the token is what makes this answer good.
        var unverified = TLSConfiguration.makeClientConfiguration()
        unverified.certificateVerification = .none
        let ca = try await send(.GET, "/cacerts", body: nil, tls: unverified).text
        guard ServerToken.caHash(ofPEM: ca) == token.caHash else {
            throw EmbeddedEtcdError("the CA at \(serverURL) does not match the token's hash: wrong --join URL or token file")
        }
        var pinned = TLSConfiguration.makeClientConfiguration()
        pinned.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(ca.utf8)))
        let answer = try await send(.POST, "/skiff/v1/join", body: request.json, tls: pinned)
        guard answer.status == 200, let json = try? JSON(parsing: Array(answer.text.utf8)) else {
            let message = (try? JSON(parsing: Array(answer.text.utf8)))?["message"].string ?? answer.text
            throw JoinRefused(description: "\(serverURL) refused the join (HTTP \(answer.status)): \(message)", retryable: answer.status == 503)
        }
        return try ClusterJoinResponse(json: json)
    }

    func send(_ method: HTTPMethod, _ path: String, body: JSON?, tls: TLSConfiguration) async throws -> (status: UInt, text: String) {
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.timeout = .init(connect: .seconds(5), read: .seconds(60))
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        do {
            var request = HTTPClientRequest(url: serverURL + path)
            request.method = method
            if let body {
                request.headers.add(name: "Content-Type", value: "application/json")
                request.headers.add(name: "Authorization", value: "Bearer \(token.secret)")
                request.body = .bytes(ByteBuffer(bytes: body.bytes))
            }
            let response = try await client.execute(request, timeout: .seconds(60))
            let bytes = try await response.body.collect(upTo: 1 << 20)
            try await client.shutdown()
            return (response.status.code, String(buffer: bytes))
        } catch {
            try? await client.shutdown()
            throw JoinRefused(description: "cannot reach \(serverURL)\(path): \(error)", retryable: true)
        }
    }
}
