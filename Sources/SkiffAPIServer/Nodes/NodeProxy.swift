import Foundation
import Logging
import SkiffAPI
import SkiffNodeAPI
import Synchronization

/// The API server's link to the agents: the node API client, and a short cache of each node's
/// `/stats/summary` so `kubectl top` does not ask every agent on every call.
public final class NodeProxy: Sendable {
    public let client: NodeAPIClient
    /// How long a node's summary is reused (metrics-server scrapes every 15 s).
    public let summaryLifetime: Duration
    private let summaries = Mutex<[String: (fetched: ContinuousClock.Instant, summary: JSON)]>([:])

    public init(client: NodeAPIClient = NodeAPIClient(), summaryLifetime: Duration = .seconds(10)) {
        self.client = client
        self.summaryLifetime = summaryLifetime
    }

    /// The node's stats summary, from the cache or its agent; nil (and a log line) when the agent
    /// cannot be asked.
    func summary(_ endpoint: NodeEndpoint, logger: Logger) async -> JSON? {
        let now = ContinuousClock.now
        if let cached = summaries.withLock({ $0[endpoint.nodeName] }), now - cached.fetched < summaryLifetime {
            return cached.summary
        }
        do {
            // metrics-server's default kubelet request timeout; 5 s was too short for a first TLS
            // handshake on a loaded 2-core machine.
            let bytes = try await client.getBytes(endpoint, path: "/stats/summary", timeout: .seconds(10))
            let summary = try JSON(parsing: bytes)
            summaries.withLock { $0[endpoint.nodeName] = (now, summary) }
            return summary
        } catch {
            logger.warning("no stats from node", metadata: ["node": "\(endpoint.nodeName)", "error": "\(error)"])
            return nil
        }
    }
}
