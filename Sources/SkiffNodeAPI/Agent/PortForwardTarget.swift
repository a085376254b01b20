/// A parsed `GET /portForward/{namespace}/{pod}` (kubelet's path; the ports come in the streams).
struct PortForwardTarget: Sendable, Equatable {
    let namespace: String
    let pod: String

    /// nil when `path` (path and query) is not a port-forward path.
    init?(path: String) {
        let route = path.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)[0]
        let segments = route.split(separator: "/").map { QueryString.decode($0) }
        guard segments.count == 3, segments[0] == "portForward", !segments[1].isEmpty, !segments[2].isEmpty else { return nil }
        namespace = segments[1]
        pod = segments[2]
    }
}
