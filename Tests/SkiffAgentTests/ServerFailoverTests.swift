import Logging
import Synchronization
import Testing

@testable import SkiffAgent

@Suite("several API servers: parsing --server and failing over")
struct ServerFailoverTests {
    struct Refused: Error {}

    /// Records the back-offs instead of sleeping, and answers from each server as told.
    final class FakeServers: Sendable {
        let answers: Mutex<[String: [Result<String, any Error>]]>
        let calls = Mutex<[String]>([])
        let sleeps = Mutex<[Duration]>([])

        init(_ answers: [String: [Result<String, any Error>]]) { self.answers = Mutex(answers) }

        func failover(_ urls: [String]) throws -> ServerFailover {
            ServerFailover(
                endpoints: try ServerEndpoints(urls), logger: Logger(label: "test"), sleep: { wait in self.sleeps.withLock { $0.append(wait) } },
                jitter: { 0.5 })
        }

        /// One request: the next queued answer of `server`, else "ok from SERVER".
        func request(_ server: String) throws -> String {
            calls.withLock { $0.append(server) }
            let answer = answers.withLock { answers -> Result<String, any Error>? in
                guard var queue = answers[server], !queue.isEmpty else { return nil }
                let first = queue.removeFirst()
                answers[server] = queue
                return first
            }
            return try (answer ?? .success("ok from \(server)")).get()
        }
    }

    @Test(
        "--server takes one URL, a comma-separated list, or repeats; trailing slashes and duplicates go",
        arguments: [
            (["https://a:6443"], ["https://a:6443"]),
            (["https://a:6443/, https://b:6443"], ["https://a:6443", "https://b:6443"]),
            (["https://a:6443", "https://b:6443,https://a:6443"], ["https://a:6443", "https://b:6443"]),
        ])
    func parsesServers(arguments: [String], expected: [String]) throws {
        #expect(try ServerEndpoints.parse(arguments) == expected)
    }

    @Test(
        "--server rejects what is not an https:// URL with a host, naming it",
        arguments: [
            (["http://a:6443"], "http://a:6443"), (["https://a:6443,10.0.0.2:6443"], "10.0.0.2:6443"), (["https://a,,https://b"], "empty"),
            (["https://:6443"], "no host"), ([], "needs"),
        ])
    func rejectsServers(arguments: [String], named: String) {
        let error = #expect(throws: ServerEndpoints.InvalidServer.self) { try ServerEndpoints.parse(arguments) }
        #expect(error?.description.contains(named) == true, "\(String(describing: error))")
    }

    @Test("a failure of the current server moves to the next, round the list; a failure seen late moves nothing")
    func rotates() throws {
        var endpoints = try ServerEndpoints(["https://a", "https://b", "https://c"])
        #expect(endpoints.failed("https://a") == "https://b")
        // A request that was still on a when b took over: b stays.
        #expect(endpoints.failed("https://a") == nil)
        #expect(endpoints.currentURL == "https://b")
        #expect(endpoints.failed("https://b") == "https://c")
        #expect(endpoints.failed("https://c") == "https://a")
        #expect(endpoints.consecutiveFailures == 4)
        endpoints.succeeded("https://a")
        #expect(endpoints.consecutiveFailures == 0)
    }

    @Test("the back-off doubles from 100 ms with the failures in a row, to 6.4 s, and jitter stretches it up to twice")
    func backoff() throws {
        var endpoints = try ServerEndpoints(["https://a", "https://b"])
        #expect(endpoints.backoff(jitter: 1) == .zero)
        var waits: [Duration] = []
        for _ in 0..<9 {
            _ = endpoints.failed(endpoints.currentURL)
            waits.append(endpoints.backoff(jitter: 0))
        }
        #expect(waits.map { $0 / .milliseconds(1) } == [100, 200, 400, 800, 1600, 3200, 6400, 6400, 6400])
        #expect(endpoints.backoff(jitter: 1) == .milliseconds(12800))
        #expect(endpoints.backoff(jitter: 0.5) == .milliseconds(9600))
    }

    @Test("a refused connection or a 5xx moves the request to the next server after a back-off; it stays there")
    func failsOver() async throws {
        let servers = FakeServers([
            "https://a": [.failure(Refused())],
            "https://b": [.failure(APIClientError(code: 503, reason: "ServiceUnavailable", message: "etcd is down"))],
        ])
        let failover = try servers.failover(["https://a", "https://b", "https://c"])
        let answer = try await failover.perform { try servers.request($0) }
        #expect(answer == "ok from https://c")
        #expect(servers.calls.withLock { $0 } == ["https://a", "https://b", "https://c"])
        #expect(servers.sleeps.withLock { $0 } == [Duration.milliseconds(150), .milliseconds(300)])
        // The agent stays on c, and the failures in a row are over.
        #expect(try await failover.perform { try servers.request($0) } == "ok from https://c")
        #expect(failover.snapshot.consecutiveFailures == 0)
        #expect(servers.sleeps.withLock { $0.count } == 2)
    }

    @Test("a 4xx is the request's own answer: thrown at once, on the same server")
    func clientErrorsStay() async throws {
        let servers = FakeServers(["https://a": [.failure(APIClientError(code: 404, reason: "NotFound", message: "pods \"x\" not found"))]])
        let failover = try servers.failover(["https://a", "https://b"])
        let error = await #expect(throws: APIClientError.self) { try await failover.perform { try servers.request($0) } }
        #expect(error?.code == 404)
        #expect(servers.calls.withLock { $0 } == ["https://a"])
        #expect(failover.currentURL == "https://a")
    }

    @Test("when every server fails, one call tries each once and throws the last error; the next call starts where it ended")
    func allDown() async throws {
        let servers = FakeServers(["https://a": [.failure(Refused()), .failure(Refused())], "https://b": [.failure(Refused())]])
        let failover = try servers.failover(["https://a", "https://b"])
        await #expect(throws: Refused.self) { try await failover.perform { try servers.request($0) } }
        #expect(servers.calls.withLock { $0 } == ["https://a", "https://b"])
        #expect(failover.currentURL == "https://a")
        // a is still down; b has come back.
        #expect(try await failover.perform { try servers.request($0) } == "ok from https://b")
        // The back-off grew with the failures in a row: 100 ms after the first, 400 ms after the third (each ×1.5 jitter).
        #expect(servers.sleeps.withLock { $0 } == [Duration.milliseconds(150), .milliseconds(600)])
    }

    @Test("one server: a failure is thrown without waiting, and the next request tries it again")
    func singleServer() async throws {
        let servers = FakeServers(["https://a": [.failure(Refused())]])
        let failover = try servers.failover(["https://a"])
        await #expect(throws: Refused.self) { try await failover.perform { try servers.request($0) } }
        #expect(try await failover.perform { try servers.request($0) } == "ok from https://a")
        #expect(servers.sleeps.withLock { $0 }.isEmpty)
    }

    @Test("a watch waiting on a server is woken when a failure elsewhere moves the agent away, and at once when it is already elsewhere")
    func wakesWatches() async throws {
        let servers = FakeServers([:])
        let failover = try servers.failover(["https://a", "https://b"])
        let woken = Mutex(false)
        let waiting = Task {
            await failover.waitUntilAway(from: "https://a")
            woken.withLock { $0 = true }
        }
        try await Task.sleep(for: .milliseconds(100))
        #expect(!woken.withLock { $0 })
        // A failure of b, which the agent is not on, changes nothing.
        failover.serverFailed("https://b", error: Refused())
        try await Task.sleep(for: .milliseconds(100))
        #expect(!woken.withLock { $0 })
        failover.serverFailed("https://a", error: Refused())
        await waiting.value
        #expect(woken.withLock { $0 })
        #expect(failover.currentURL == "https://b")
        // Already away from a: returns at once.
        await failover.waitUntilAway(from: "https://a")
        // A watch that ends for its own reasons stops waiting when cancelled.
        let cancelled = Task { await failover.waitUntilAway(from: "https://b") }
        cancelled.cancel()
        await cancelled.value
    }
}
