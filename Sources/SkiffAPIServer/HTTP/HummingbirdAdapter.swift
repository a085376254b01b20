import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ServiceLifecycle
import SkiffAPI

/// Bridges Hummingbird requests to `KubeAPI` and its responses (including streamed watches) back.
struct HummingbirdAdapter: HTTPResponder {
    typealias Context = SkiffRequestContext
    let api: KubeAPI

    func respond(to request: Request, context: SkiffRequestContext) async throws -> Response {
        var request = request
        var headers: [String: String] = [:]
        for field in request.headers {
            let name = field.name.canonicalName
            // Repeated fields (`Impersonate-Group`) join as HTTP says they may.
            headers[name] = headers[name].map { "\($0), \(field.value)" } ?? field.value
        }
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: KubeAPI.maximumBodySize)
        } catch {
            return Self.response(.error(.tooLarge(limit: KubeAPI.maximumBodySize)))
        }
        let apiRequest = APIRequest(
            method: request.method.rawValue, path: Self.decodedPath(request.uri.path),
            query: APIRequest.parseQuery(request.uri.query), headers: headers, body: Array(buffer: body),
            clientCertificate: headers["authorization"] == nil ? await Self.peerCertificate(context.channel) : nil)
        return Self.response(await api.handle(apiRequest), closed: context.channel.closeFuture)
    }

    /// The DER of the connection's verified client certificate, if it presented one. Asked only
    /// for requests without a token.
    static func peerCertificate(_ channel: any Channel) async -> [UInt8]? {
        await PeerCertificates.shared.der(of: channel)
    }

    /// The path with percent escapes decoded; most paths have none, and Foundation's decoding
    /// goes through CFString for every request.
    static func decodedPath(_ path: String) -> String {
        guard path.utf8.contains(UInt8(ascii: "%")) else { return path }
        return path.removingPercentEncoding ?? path
    }

    /// How many chunks of a streamed response may wait for a slow connection.
    static let streamChunksAhead = 64

    static func response(_ response: APIResponse, closed: EventLoopFuture<Void>? = nil) -> Response {
        var fields = HTTPFields()
        fields[.contentType] = response.contentType
        for (name, value) in response.headers {
            if let field = HTTPField.Name(name) { fields.append(HTTPField(name: field, value: value)) }
        }
        let status = HTTPResponse.Status(code: response.status)
        switch response.body {
        case .bytes(let bytes):
            return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
        case .stream(let produce):
            fields[.cacheControl] = "no-cache, private"
            return Response(
                status: status, headers: fields,
                body: ResponseBody { writer in
                    let (chunks, continuation) = AsyncStream<[UInt8]>.makeStream()
                    let credit = StreamCredit(limit: Self.streamChunksAhead)
                    // Hummingbird does not cancel a handler when its client goes away; ending the
                    // chunk stream on channel close stops an idle watch at once.
                    closed?.whenComplete { _ in
                        continuation.finish()
                        credit.close()
                    }
                    // The producer runs as a child task so the writer (not Sendable) stays in this task.
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            defer { continuation.finish() }
                            // Streams (watches) end when the server shuts down gracefully; otherwise an
                            // idle watch would hold the shutdown open.
                            try await cancelWhenGracefulShutdown {
                                try await produce(
                                    StreamWriter { bytes in
                                        guard await credit.acquire() else { throw CancellationError() }
                                        if case .terminated = continuation.yield(bytes) { throw CancellationError() }
                                    })
                            }
                        }
                        for await chunk in chunks {
                            try await writer.write(ByteBuffer(bytes: chunk))
                            credit.release()
                        }
                        credit.close()
                        group.cancelAll()
                    }
                    try await writer.finish(nil)
                })
        }
    }
}
