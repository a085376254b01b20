import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import SkiffAPI
import Synchronization

/// A minimal HTTP/1.1 client for etcd's v3 JSON gateway (`/v3/kv/range`, `/v3/kv/txn`,
/// `/v3/watch`, ...): unary calls on pooled keep-alive connections, JSON in and out, and
/// line-delimited streaming for watches on a connection each. Written on NIO directly to avoid a whole HTTP client dependency for a handful of POSTs.
///
/// It knows every member's client URL and sticks to the one that last answered; a member that
/// cannot be reached, or that answers it has no leader, sends the call on to the next one, so one
/// dead member of a cluster costs a failed connect, not an error.
final class EtcdGateway: Sendable {
    struct Endpoint: Sendable, Equatable {
        let host: String
        let port: Int
        let tls: Bool
        var description: String { "\(tls ? "https" : "http")://\(host):\(port)" }
    }

    let endpoints: [Endpoint]
    let tlsContext: NIOSSLContext?
    /// Index of the endpoint that answered last: calls start there.
    private let preferred = Atomic<Int>(0)
    /// A member that accepts the connection but never answers (stopped, or partitioned while
    /// etcd waits for its own timeouts) must not hang the API: unary calls give up after this.
    /// Generous: etcd answers a proposal it cannot commit by itself after ~7 s, and on a loaded
    /// test host a healthy etcd was seen taking over 10 s for a txn (a CI run's watch fan-out test).
    static let callTimeout: TimeAmount = .seconds(30)
    static let connectTimeout: TimeAmount = .seconds(2)

    init(endpoints urls: [String], tls: EtcdClientTLS? = nil) throws(StoreError) {
        guard !urls.isEmpty else { throw .backend("no etcd endpoint given") }
        var parsed: [Endpoint] = []
        for url in urls {
            var rest = Substring(url)
            let secure: Bool
            if rest.hasPrefix("http://") {
                rest = rest.dropFirst("http://".count)
                secure = false
            } else if rest.hasPrefix("https://") {
                rest = rest.dropFirst("https://".count)
                secure = true
            } else {
                throw .backend("etcd endpoint must be http(s)://HOST:PORT, got \(url)")
            }
            rest = rest.prefix { $0 != "/" }
            let parts = rest.split(separator: ":")
            guard parts.count == 2, let port = Int(parts[1]), (1...65535).contains(port) else {
                throw .backend("etcd endpoint must be http(s)://HOST:PORT, got \(url)")
            }
            if secure && tls == nil { throw .backend("\(url) is https: etcd over TLS needs the CA and a client certificate") }
            parsed.append(Endpoint(host: String(parts[0]), port: port, tls: secure))
        }
        endpoints = parsed
        if let tls, parsed.contains(where: \.tls) {
            do {
                tlsContext = try NIOSSLContext(configuration: tls.configuration())
            } catch {
                throw .backend("etcd TLS: \(error)")
            }
        } else {
            tlsContext = nil
        }
    }

    /// POSTs `body` and returns the decoded JSON response; gateway errors become `StoreError`s.
    func call(_ path: String, _ body: JSON) async throws(StoreError) -> JSON {
        var failures: [String] = []
        let start = preferred.load(ordering: .relaxed)
        for step in 0..<endpoints.count {
            let index = (start + step) % endpoints.count
            let endpoint = endpoints[index]
            let status: Int
            let collected: [UInt8]
            do {
                (status, collected) = try await withDeadline(Self.callTimeout, path) {
                    let response = try await self.unary(index, path, body)
                    return (response.status, response.body)
                }
            } catch let failure as Unreachable {
                failures.append("\(endpoint.description): \(failure.reason)")
                continue
            } catch {
                failures.append("\(endpoint.description): \(error)")
                continue
            }
            guard let response = try? JSON(parsing: collected) else {
                failures.append("\(endpoint.description): HTTP \(status), unreadable body")
                continue
            }
            if status != 200 {
                let message = response["message"].string ?? response["error"].string ?? "HTTP \(status)"
                if message.contains("compacted") { throw .compacted(compactRevision: 0) }
                // A member cut off from the quorum cannot serve anything; another may.
                if message.contains("no leader") {
                    failures.append("\(endpoint.description): \(message)")
                    continue
                }
                if Self.quorumTrouble.contains(where: message.contains) {
                    throw .unavailable("etcd \(path): \(message) (the etcd cluster may have lost its quorum)")
                }
                throw .backend("etcd \(path): \(message)")
            }
            if index != start { preferred.store(index, ordering: .relaxed) }
            return response
        }
        throw .unavailable("etcd \(path): no member answered (\(failures.joined(separator: "; ")))")
    }

    /// Idle keep-alive connections by endpoint index. A unary call takes one (or connects) and
    /// gives it back after the answer: a connection per call cost a TCP and a mutual-TLS
    /// handshake on both ends for every store read and write, which on a loaded 2-core host made
    /// an HA server's API requests ten times slower than SQLite's (`scripts/bench api-ha`).
    private let idle = Mutex<[Int: [any Channel]]>([:])
    static let maxIdleConnections = 32

    /// One POST on a pooled connection. A reused connection that etcd has closed meanwhile fails
    /// the write, before anything was sent: then the call goes again on a fresh connection.
    private func unary(_ index: Int, _ path: String, _ body: JSON) async throws -> EtcdUnaryResponse {
        let endpoint = endpoints[index]
        var head = HTTPRequestHead(version: .http1_1, method: .POST, uri: path)
        let bytes = body.bytes
        head.headers.add(name: "Host", value: "\(endpoint.host):\(endpoint.port)")
        head.headers.add(name: "Content-Type", value: "application/json")
        head.headers.add(name: "Content-Length", value: String(bytes.count))
        let buffer = ByteBuffer(bytes: bytes)
        while true {
            let (channel, reused) = try await checkout(index)
            let answer = EtcdUnaryAnswer(on: channel.eventLoop)
            channel.writeAndFlush(EtcdUnaryRequest(head: head, body: buffer, answer: answer)).whenFailure { _ in
                answer.fail(NothingSent())
            }
            let response: EtcdUnaryResponse
            do {
                response = try await withTaskCancellationHandler {
                    try await answer.promise.futureResult.get()
                } onCancel: {
                    channel.close(promise: nil)
                }
            } catch is NothingSent {
                channel.close(promise: nil)
                if reused { continue }
                throw Unreachable(reason: "the request could not be sent")
            } catch {
                channel.close(promise: nil)
                throw error
            }
            if response.keepAlive && channel.isActive {
                let kept = idle.withLock { idle in
                    guard idle[index, default: []].count < Self.maxIdleConnections else { return false }
                    idle[index, default: []].append(channel)
                    return true
                }
                if !kept { channel.close(promise: nil) }
            } else {
                channel.close(promise: nil)
            }
            return response
        }
    }

    /// An idle connection to the endpoint that is still open, or a new one.
    private func checkout(_ index: Int) async throws -> (channel: any Channel, reused: Bool) {
        while let channel = idle.withLock({ $0[index]?.popLast() }) {
            if channel.isActive { return (channel, true) }
        }
        let channel = try await connect(endpoints[index]) { channel in
            try channel.pipeline.syncOperations.addHandler(EtcdUnaryResponseHandler())
            return channel
        }
        return (channel, false)
    }

    deinit {
        for channel in idle.withLock({ $0.values.flatMap { $0 } }) { channel.close(promise: nil) }
    }

    /// A request that failed to be written: etcd cannot have seen it whole.
    struct NothingSent: Error {}

    /// What etcd answers when it cannot commit or confirm a read for lack of a leader.
    static let quorumTrouble = ["request timed out", "context deadline exceeded", "leader changed", "unhealthy cluster", "no leader"]

    /// POSTs `body` and hands each newline-delimited JSON object of the response to `onLine`
    /// until it returns false or the server closes the stream. Connects to the first member that
    /// accepts; the stream ends when that member goes away (watchers then re-list).
    func stream(_ path: String, _ body: JSON, onLine: @escaping (JSON) async throws -> Bool) async throws {
        var pending: [UInt8] = []
        var lastError: (any Error)?
        let start = preferred.load(ordering: .relaxed)
        for step in 0..<endpoints.count {
            let endpoint = endpoints[(start + step) % endpoints.count]
            let channel: NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>
            do {
                channel = try await connect(endpoint) { try NIOAsyncChannel(wrappingChannelSynchronously: $0) }
            } catch {
                lastError = error
                continue
            }
            try await exchange(on: channel, endpoint, path, body) { _, chunk in
                pending += chunk
                while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = Array(pending[..<newline])
                    pending.removeSubrange(...newline)
                    guard !line.isEmpty, let json = try? JSON(parsing: line) else { continue }
                    if try await !onLine(json) { return false }
                }
                return true
            }
            return
        }
        throw StoreError.backend("etcd \(path): no member accepted the stream (\(lastError.map { "\($0)" } ?? "no endpoint"))")
    }

    /// A failure to reach a member at all (nothing was sent, or nothing came back in time).
    struct Unreachable: Error { let reason: String }

    private func withDeadline<T: Sendable>(
        _ limit: TimeAmount, _ path: String, _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: .nanoseconds(limit.nanoseconds))
                return nil
            }
            let first = try await group.next() ?? nil
            group.cancelAll()
            guard let first else { throw Unreachable(reason: "no answer to \(path) within \(limit.nanoseconds / 1_000_000_000) s") }
            return first
        }
    }

    /// Connects to the member with TLS (when its URL is https) and HTTP/1.1 client handlers;
    /// `finish` adds what the caller's use of the connection needs, on its event loop.
    private func connect<Connection: Sendable>(
        _ endpoint: Endpoint, finish: @escaping @Sendable (any Channel) throws -> Connection
    ) async throws -> Connection {
        let context = endpoint.tls ? tlsContext : nil
        do {
            return try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(Self.connectTimeout)
                .connect(host: endpoint.host, port: endpoint.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if let context {
                            try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: context, serverHostname: nil))
                        }
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        return try finish(channel)
                    }
                }
        } catch {
            throw Unreachable(reason: "\(error)")
        }
    }

    private func exchange(
        on channel: NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>, _ endpoint: Endpoint, _ path: String, _ body: JSON,
        onChunk: (Int, [UInt8]) async throws -> Bool
    ) async throws {
        try await channel.executeThenClose { inbound, outbound in
            let bytes = body.bytes
            var head = HTTPRequestHead(version: .http1_1, method: .POST, uri: path)
            head.headers.add(name: "Host", value: "\(endpoint.host):\(endpoint.port)")
            head.headers.add(name: "Content-Type", value: "application/json")
            head.headers.add(name: "Content-Length", value: String(bytes.count))
            head.headers.add(name: "Connection", value: "close")
            // One write for head, body and end: with `Connection: close` etcd answers and closes as
            // soon as it has the body, so a separate trailing write could hit a closed channel.
            try await outbound.write(contentsOf: [.head(head), .body(.byteBuffer(ByteBuffer(bytes: bytes))), .end(nil)])
            var status = 0
            var answered = false
            for try await part in inbound {
                switch part {
                case .head(let response):
                    status = Int(response.status.code)
                    answered = true
                case .body(let buffer):
                    if try await !onChunk(status, Array(buffer.readableBytesView)) { return }
                case .end: return
                }
            }
            if !answered { throw Unreachable(reason: "the connection closed before an answer") }
        }
    }
}

/// What the server needs to talk to etcd over TLS: the CA that signed the members' certificates
/// and the client certificate etcd's `--client-cert-auth` asks for (PEM texts).
public struct EtcdClientTLS: Sendable {
    public let caCertificatePEM: String
    public let certificatePEM: String
    public let keyPEM: String

    public init(caCertificatePEM: String, certificatePEM: String, keyPEM: String) {
        self.caCertificatePEM = caCertificatePEM
        self.certificatePEM = certificatePEM
        self.keyPEM = keyPEM
    }

    func configuration() throws -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(caCertificatePEM.utf8)))
        tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(Array(certificatePEM.utf8)).map { .certificate($0) }
        tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(keyPEM.utf8), format: .pem))
        return tls
    }
}
