import Dispatch
import Glibc
import HummingbirdWSClient
import NIOCore
import Synchronization
import Testing

@testable import SkiffNodeAPI

/// The agent's side of `kubectl port-forward`: SPDY/3 streams tunnelled in a websocket, spoken
/// here by a client built on the same framer, against ports on the loopback (the fake backend's
/// stand-in for the pod's).
@Suite("port-forward: SPDY/3.1 streams in a websocket", .serialized)
struct PortForwardTunnelTests {
    let client = NodeAPIClient()

    /// A loopback listener answering each connection's first line with "echo: LINE" and closing.
    final class EchoListener: Sendable {
        let port: UInt16
        private let fd: Int32

        init() throws {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            self.fd = fd
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
            }
            guard bound, listen(fd, 16) == 0 else { throw Failure("cannot listen on the loopback") }
            port = UInt16(bigEndian: address.sin_port)
            DispatchQueue.global().async {
                while true {
                    let connection = accept(fd, nil, nil)
                    guard connection >= 0 else { return }
                    DispatchQueue.global().async {
                        var line: [UInt8] = []
                        var byte: UInt8 = 0
                        while read(connection, &byte, 1) == 1, byte != 10 { line.append(byte) }
                        let answer = Array("echo: ".utf8) + line + [10]
                        _ = answer.withUnsafeBytes { write(connection, $0.baseAddress, $0.count) }
                        close(connection)
                    }
                }
            }
        }

        func stop() { shutdown(fd, Int32(SHUT_RDWR)) }
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    /// A loopback port nobody listens on (bound, then released).
    static func closedPort() -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        return UInt16(bigEndian: address.sin_port)
    }

    /// What the agent sent per stream, until every stream in `awaiting` has ended (FIN or reset).
    final class Streams: Sendable {
        let bytes = Mutex<[UInt32: [UInt8]]>([:])
        let ended = Mutex<Set<UInt32>>([])
        let replied = Mutex<Set<UInt32>>([])
        let resets = Mutex<Set<UInt32>>([])

        func text(_ id: UInt32) -> String { String(decoding: bytes.withLock { $0[id] ?? [] }, as: UTF8.self) }
    }

    func session(
        _ endpoint: NodeEndpoint, pod: String = "web", awaiting: Set<UInt32>, send: [SPDYFrame]
    ) async throws -> Streams {
        let streams = Streams()
        try await client.webSocket(endpoint, path: "/portForward/default/\(pod)", subprotocol: PortForwardProtocol.spdyTunnel) { inbound, outbound in
            var encoder = SPDYFrameEncoder()
            // All frames in one message, then split across two: the agent reads a byte stream.
            let bytes = send.flatMap { encoder.encode($0) }
            try await outbound.write(.binary(ByteBuffer(bytes: bytes[..<(bytes.count / 2)])))
            try await outbound.write(.binary(ByteBuffer(bytes: bytes[(bytes.count / 2)...])))
            var decoder = SPDYFrameDecoder()
            for try await message in inbound.messages(maxSize: 1 << 20) {
                guard case .binary(let buffer) = message else { continue }
                decoder.append(buffer.readableBytesView)
                while let frame = try decoder.next() {
                    switch frame {
                    case .synReply(let id, _, _): streams.replied.withLock { _ = $0.insert(id) }
                    case .data(let id, let payload, let fin):
                        streams.bytes.withLock { $0[id, default: []] += payload }
                        if fin { streams.ended.withLock { _ = $0.insert(id) } }
                    case .rstStream(let id, _):
                        streams.resets.withLock { _ = $0.insert(id) }
                        streams.ended.withLock { _ = $0.insert(id) }
                    default: break
                    }
                }
                if streams.ended.withLock({ awaiting.isSubset(of: $0) }) { break }
            }
            try await outbound.close(.normalClosure, reason: nil)
        }
        return streams
    }

    static func pair(_ request: Int, port: UInt16, error: UInt32, data: UInt32) -> [SPDYFrame] {
        let headers = [PortForwardProtocol.portHeader: String(port), PortForwardProtocol.requestIDHeader: String(request)]
        return [
            // kubectl ends its half of the error stream at once: it only reads it.
            .synStream(id: error, headers: headers.merging([PortForwardProtocol.streamTypeHeader: "error"]) { $1 }, fin: false),
            .data(id: error, bytes: [], fin: true),
            .synStream(id: data, headers: headers.merging([PortForwardProtocol.streamTypeHeader: "data"]) { $1 }, fin: false),
        ]
    }

    @Test("two connections at once carry their own bytes to the port and back, and end with empty error streams")
    func concurrentConnections() async throws {
        let listener = try EchoListener()
        defer { listener.stop() }
        try await NodeAPITestServer.with { endpoint, _ in
            let frames =
                Self.pair(0, port: listener.port, error: 1, data: 3) + Self.pair(1, port: listener.port, error: 5, data: 7) + [
                    .data(id: 3, bytes: Array("first\n".utf8), fin: true), .data(id: 7, bytes: Array("second\n".utf8), fin: false),
                    .ping(id: 2),
                ]
            let streams = try await session(endpoint, awaiting: [1, 3, 5, 7], send: frames)
            #expect(streams.replied.withLock { $0 } == [1, 3, 5, 7])
            #expect(streams.text(3) == "echo: first\n")
            #expect(streams.text(7) == "echo: second\n")
            #expect(streams.text(1).isEmpty && streams.text(5).isEmpty)
            #expect(streams.resets.withLock { $0 }.isEmpty)
        }
    }

    @Test("a port nobody listens on is an error on that connection's error stream only; the other connection works")
    func refusedPort() async throws {
        let listener = try EchoListener()
        defer { listener.stop() }
        let closed = Self.closedPort()
        try await NodeAPITestServer.with { endpoint, _ in
            let frames =
                Self.pair(0, port: closed, error: 1, data: 3) + Self.pair(1, port: listener.port, error: 5, data: 7) + [
                    .data(id: 7, bytes: Array("still here\n".utf8), fin: true)
                ]
            let streams = try await session(endpoint, awaiting: [1, 3, 5, 7], send: frames)
            #expect(streams.text(1).contains("error forwarding port \(closed) to pod default/web"))
            #expect(streams.text(1).contains("ECONNREFUSED"))
            #expect(streams.text(3).isEmpty)
            #expect(streams.text(7) == "echo: still here\n")
            #expect(streams.text(5).isEmpty)
        }
    }

    @Test("a stream without a port or type is reset; a pod not on the node is an error on its stream")
    func badStreams() async throws {
        try await NodeAPITestServer.with { endpoint, _ in
            let frames: [SPDYFrame] =
                [.synStream(id: 1, headers: [PortForwardProtocol.streamTypeHeader: "data"], fin: false)]
                + Self.pair(0, port: 80, error: 3, data: 5)
            let streams = try await session(endpoint, pod: "elsewhere", awaiting: [1, 3, 5], send: frames)
            #expect(streams.resets.withLock { $0 } == [1])
            #expect(streams.text(3).contains("pod default/elsewhere is not on this node"))
        }
    }

    @Test("header blocks survive the shared zlib stream across frames, in both directions")
    func headerCompression() throws {
        var encoder = SPDYFrameEncoder()
        var decoder = SPDYFrameDecoder()
        var frames: [SPDYFrame] = []
        for request in 1...5 {
            let headers = ["port": "80", "requestid": String(request)]
            frames.append(.synStream(id: UInt32(2 * request + 1), headers: headers, fin: request == 5))
        }
        for frame in frames { decoder.append(encoder.encode(frame)) }
        var decoded: [SPDYFrame] = []
        while let frame = try decoder.next() { decoded.append(frame) }
        #expect(decoded == frames)
    }
}
