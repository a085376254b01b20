import Hummingbird
import Logging
import NIOCore

/// A chunked response body fed from an async stream, which stops consuming the stream (so its
/// producer sees termination) once the client's connection closes.
enum StreamedBody {
    static func body(_ stream: AsyncThrowingStream<[UInt8], any Error>, closed: EventLoopFuture<Void>, logger: Logger) -> ResponseBody {
        ResponseBody { writer in
            let (chunks, continuation) = AsyncStream<[UInt8]>.makeStream()
            // Hummingbird does not cancel a handler when its client goes away; ending the relay on
            // channel close stops an idle followed log at once.
            closed.whenComplete { _ in continuation.finish() }
            // The stream is consumed in a child task so the (non-Sendable) writer stays here and
            // cancelling the child terminates the producer.
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    defer { continuation.finish() }
                    do {
                        for try await chunk in stream {
                            if case .terminated = continuation.yield(chunk) { return }
                        }
                    } catch {
                        logger.warning("log stream failed", metadata: ["error": "\(error)"])
                    }
                }
                for await chunk in chunks where !chunk.isEmpty {
                    try await writer.write(ByteBuffer(bytes: chunk))
                }
                group.cancelAll()
            }
            try await writer.finish(nil)
        }
    }
}
