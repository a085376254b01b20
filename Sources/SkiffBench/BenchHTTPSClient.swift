import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// One keep-alive HTTPS/1.1 connection that sends requests one after another, as a kubectl or
/// client-go connection does. Used only by `skiff-bench api`.
struct BenchHTTPSClient {
    let channel: NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>
    let host: String
    let token: String

    let identity: BenchIdentity

    static func connect(
        host: String, port: Int, caPEM: String, token: String = SkiffBenchCommand.token, identity: BenchIdentity = .admin
    ) async throws -> BenchHTTPSClient {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(caPEM.utf8)))
        if let certificate = identity.certificatePEM, let key = identity.keyPEM {
            tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(Array(certificate.utf8)).map { .certificate($0) }
            tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(key.utf8), format: .pem))
        }
        let context = try NIOSSLContext(configuration: tls)
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: context, serverHostname: nil))
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(wrappingChannelSynchronously: channel)
                }
            }
        return BenchHTTPSClient(channel: channel, host: host, token: token, identity: identity)
    }

    /// Runs `body` with request/response access over the one connection, then closes it.
    func session(_ body: (_ send: (String, String, [UInt8]) async throws -> Int) async throws -> Void) async throws {
        try await channel.executeThenClose { inbound, outbound in
            var responses = inbound.makeAsyncIterator()
            try await body { method, path, bytes in
                var head = HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: method), uri: path)
                head.headers.add(name: "Host", value: host)
                // A user authenticates with its certificate, the admin and a ServiceAccount with a token.
                if let bearer = identity.authorization(adminToken: token) { head.headers.add(name: "Authorization", value: "Bearer \(bearer)") }
                head.headers.add(name: "Content-Type", value: "application/json")
                head.headers.add(name: "Accept", value: "application/json")
                head.headers.add(name: "Content-Length", value: String(bytes.count))
                // One write of the whole request, as a client on another host would send it: the
                // clients share this host's CPUs with the server, so they should spend little.
                var parts: [HTTPClientRequestPart] = [.head(head)]
                if !bytes.isEmpty { parts.append(.body(.byteBuffer(ByteBuffer(bytes: bytes)))) }
                parts.append(.end(nil))
                try await outbound.write(contentsOf: parts)
                var status = 0
                while let part = try await responses.next() {
                    switch part {
                    case .head(let response): status = Int(response.status.code)
                    case .body: continue
                    case .end: return status
                    }
                }
                return status
            }
        }
    }
}
