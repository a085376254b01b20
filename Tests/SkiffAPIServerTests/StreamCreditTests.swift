import Testing

@testable import SkiffAPIServer

/// A streamed response's producer runs at most `limit` chunks ahead of the connection.
@Suite struct StreamCreditTests {
    @Test("a producer waits once limit chunks are unwritten, resumes when one is written, and stops on close")
    func producerWaitsForTheConnection() async throws {
        let credit = StreamCredit(limit: 2)
        #expect(await credit.acquire())
        #expect(await credit.acquire())
        let third = Task { await credit.acquire() }
        try await Task.sleep(for: .milliseconds(100))
        credit.release()
        #expect(await third.value, "writing one chunk makes room for the next")
        let fourth = Task { await credit.acquire() }
        try await Task.sleep(for: .milliseconds(100))
        credit.close()
        #expect(await fourth.value == false, "a closed connection stops the waiting producer")
        #expect(await credit.acquire() == false)
    }

    @Test("a waiting producer whose task is cancelled stops")
    func cancelledProducerStops() async throws {
        let credit = StreamCredit(limit: 1)
        #expect(await credit.acquire())
        let waiting = Task { await credit.acquire() }
        try await Task.sleep(for: .milliseconds(100))
        waiting.cancel()
        #expect(await waiting.value == false)
    }
}
