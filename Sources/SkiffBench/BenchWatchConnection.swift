import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// One HTTPS watch of pods (`?watch=true`) held open, as a kubectl or client-go watch is, reporting
/// when each bench pod's ADDED event arrives. Used only by `skiff-bench watch-fanout`.
struct BenchWatchConnection {
    let channel: NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>

    static func connect(host: String, port: Int, caPEM: String) async throws -> BenchWatchConnection {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(caPEM.utf8)))
        let context = try NIOSSLContext(configuration: tls)
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: context, serverHostname: nil))
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(wrappingChannelSynchronously: channel)
                }
            }
        return BenchWatchConnection(channel: channel)
    }

    /// Watches `path` from now: `opened` once the server answered (the watch is
    /// registered before it does), then `received` with each event line's pod name as it arrives,
    /// until `received` returns false or the server ends the watch. Closes the connection.
    func watch(
        path: String, opened: () async -> Void, received: (_ name: String) -> Bool
    ) async throws {
        try await channel.executeThenClose { inbound, outbound in
            var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "\(path)?watch=true")
            head.headers.add(name: "Host", value: "127.0.0.1")
            head.headers.add(name: "Authorization", value: "Bearer \(SkiffBenchCommand.token)")
            head.headers.add(name: "Accept", value: "application/json")
            try await outbound.write(contentsOf: [.head(head), .end(nil)])
            var pending: [UInt8] = []
            for try await part in inbound {
                switch part {
                case .head(let response):
                    guard response.status == .ok else { throw BenchWatchError.refused(Int(response.status.code)) }
                    await opened()
                case .body(let buffer):
                    pending += buffer.readableBytesView
                    while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                        let line = pending[..<newline]
                        defer { pending.removeSubrange(...newline) }
                        // Only the name is needed: a substring search, not a parse, keeps the
                        // clients' CPU (which the server shares) small.
                        guard let name = Self.podName(in: line) else { continue }
                        if !received(name) { return }
                    }
                case .end:
                    throw BenchWatchError.ended
                }
            }
        }
    }

    static let marker = Array(#""name":""#.utf8)

    static func podName(in line: ArraySlice<UInt8>) -> String? {
        guard let start = line.firstRange(of: marker)?.upperBound, let end = line[start...].firstIndex(of: UInt8(ascii: "\"")) else { return nil }
        return String(decoding: line[start..<end], as: UTF8.self)
    }
}

enum BenchWatchError: Error {
    case refused(Int)
    /// The server ended a watch before every event arrived (a slow watcher closed, or a timeout).
    case ended
}
