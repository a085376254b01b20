import NIOCore
import NIOHTTP1
import NIOPosix
import SkiffAPI

/// A minimal HTTP/1.1 client for etcd's v3 JSON gateway (`/v3/kv/range`, `/v3/kv/txn`,
/// `/v3/watch`, ...): one connection per call, JSON in and out, and line-delimited streaming for
/// watches. Written on NIO directly to avoid a whole HTTP client dependency for a handful of POSTs.
struct EtcdGateway: Sendable {
    let host: String
    let port: Int

    init(endpoint: String) throws(StoreError) {
        var rest = Substring(endpoint)
        if rest.hasPrefix("http://") { rest = rest.dropFirst("http://".count) }
        if rest.hasPrefix("https://") { throw .backend("TLS to etcd is not supported yet: \(endpoint)") }
        rest = rest.prefix { $0 != "/" }
        let parts = rest.split(separator: ":")
        guard parts.count == 2, let port = Int(parts[1]) else { throw .backend("etcd endpoint must be http://HOST:PORT, got \(endpoint)") }
        host = String(parts[0])
        self.port = port
    }

    /// POSTs `body` and returns the decoded JSON response; gateway errors become `StoreError`s.
    func call(_ path: String, _ body: JSON) async throws(StoreError) -> JSON {
        var collected: [UInt8] = []
        var status = 0
        do {
            try await exchange(path, body) { head, chunk in
                status = head
                collected += chunk
                return true
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw .backend("etcd \(path): \(error)")
        }
        guard let response = try? JSON(parsing: collected) else {
            throw .backend("etcd \(path): HTTP \(status), unreadable body")
        }
        if status != 200 {
            let message = response["message"].string ?? response["error"].string ?? "HTTP \(status)"
            if message.contains("compacted") { throw .compacted(compactRevision: 0) }
            throw .backend("etcd \(path): \(message)")
        }
        return response
    }

    /// POSTs `body` and hands each newline-delimited JSON object of the response to `onLine`
    /// until it returns false or the server closes the stream.
    func stream(_ path: String, _ body: JSON, onLine: @escaping (JSON) async throws -> Bool) async throws {
        var pending: [UInt8] = []
        try await exchange(path, body) { _, chunk in
            pending += chunk
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = Array(pending[..<newline])
                pending.removeSubrange(...newline)
                guard !line.isEmpty, let json = try? JSON(parsing: line) else { continue }
                if try await !onLine(json) { return false }
            }
            return true
        }
    }

    private func exchange(_ path: String, _ body: JSON, onChunk: (Int, [UInt8]) async throws -> Bool) async throws {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(wrappingChannelSynchronously: channel)
                }
            }
        try await channel.executeThenClose { inbound, outbound in
            let bytes = body.bytes
            var head = HTTPRequestHead(version: .http1_1, method: .POST, uri: path)
            head.headers.add(name: "Host", value: "\(host):\(port)")
            head.headers.add(name: "Content-Type", value: "application/json")
            head.headers.add(name: "Content-Length", value: String(bytes.count))
            head.headers.add(name: "Connection", value: "close")
            // One write for head, body and end: with `Connection: close` etcd answers and closes as
            // soon as it has the body, so a separate trailing write could hit a closed channel.
            try await outbound.write(contentsOf: [.head(head), .body(.byteBuffer(ByteBuffer(bytes: bytes))), .end(nil)])
            var status = 0
            for try await part in inbound {
                switch part {
                case .head(let response): status = Int(response.status.code)
                case .body(let buffer):
                    if try await !onChunk(status, Array(buffer.readableBytesView)) { return }
                case .end: return
                }
            }
        }
    }
}
