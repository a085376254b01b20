/// The API servers an agent may use (`--server`, several in an HA control plane) and the one it
/// is on now. A state machine: `ServerFailover` reports each request's outcome, and a failure of
/// the current server moves every later request to the next one, round the list. The agent stays
/// on a server while it answers (as k3s's agent load balancer does): requests never spread over
/// servers, so a watch and the writes that follow it see one server's view.
public struct ServerEndpoints: Sendable, Equatable {
    /// The servers' base URLs, without a trailing slash, in the order given.
    public let urls: [String]
    /// Index in `urls` of the server requests go to.
    public private(set) var current = 0
    /// Failures in a row, of any server, since the last answer: how long the next try waits.
    public private(set) var consecutiveFailures = 0

    /// A `--server` value that cannot be used.
    public struct InvalidServer: Error, CustomStringConvertible, Equatable {
        public let description: String
    }

    public init(_ urls: [String]) throws(InvalidServer) {
        self.urls = try Self.parse(urls)
    }

    /// The URLs in `arguments`, each one or a comma-separated list (repeated `--server`, or
    /// `--server A,B`): trimmed, a trailing slash dropped, duplicates once. Each must be an
    /// https:// URL with a host, and there must be one at least.
    public static func parse(_ arguments: [String]) throws(InvalidServer) -> [String] {
        var urls: [String] = []
        for argument in arguments {
            for part in argument.split(separator: ",", omittingEmptySubsequences: false) {
                var url = part.trimmingWhitespace
                guard !url.isEmpty else { throw InvalidServer(description: "--server \(argument) has an empty entry") }
                while url.hasSuffix("/") { url.removeLast() }
                guard url.hasPrefix("https://") else {
                    throw InvalidServer(description: "--server must be https:// URLs (the agent trusts only the cluster CA), got \(url)")
                }
                let authority = url.dropFirst("https://".count).prefix { $0 != "/" }
                guard !authority.isEmpty, !authority.hasPrefix(":") else { throw InvalidServer(description: "--server \(url) has no host") }
                if !urls.contains(url) { urls.append(url) }
            }
        }
        guard !urls.isEmpty else { throw InvalidServer(description: "--server needs an API server URL") }
        return urls
    }

    /// The server requests go to now.
    public var currentURL: String { urls[current] }

    /// A request to `url` failed. When `url` is still the current server, the next one becomes
    /// current and is returned; when another request already moved on, nothing changes (nil), so
    /// many requests failing together skip one server, not several.
    public mutating func failed(_ url: String) -> String? {
        consecutiveFailures += 1
        guard url == currentURL, urls.count > 1 else { return nil }
        current = (current + 1) % urls.count
        return currentURL
    }

    /// `url` answered: the failures in a row are over.
    public mutating func succeeded(_ url: String) {
        if url == currentURL { consecutiveFailures = 0 }
    }

    /// How long to wait before trying again after a failure: 100 ms doubling to 6.4 s, stretched by
    /// `jitter` (0…1) up to twice that, so agents that lost a server together do not all reach the
    /// next one in the same instant.
    public func backoff(jitter: Double) -> Duration {
        guard consecutiveFailures > 0 else { return .zero }
        let base = 0.1 * Double(1 << min(consecutiveFailures - 1, 6))
        return .milliseconds(Int((base * (1 + min(max(jitter, 0), 1)) * 1000).rounded()))
    }
}

extension Substring {
    fileprivate var trimmingWhitespace: String {
        String(drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }
}
