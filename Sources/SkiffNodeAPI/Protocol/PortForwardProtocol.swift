import Foundation

/// Kubernetes' port-forward protocol (`portforward.k8s.io`): a SPDY/3 connection where each
/// forwarded TCP connection is a pair of client-created streams, `data` (the bytes, both ways)
/// and `error` (a message if the pod side fails), tied together by a `requestID` header and
/// naming the pod's port. kubectl ≥ 1.31 tunnels that SPDY connection through a websocket
/// (binary messages carry the raw SPDY bytes, split anywhere), offering the subprotocol
/// `SPDY/3.1+portforward.k8s.io`; kubelet, and the agent here, serve the SPDY inside.
public enum PortForwardProtocol {
    public static let v1 = "portforward.k8s.io"
    /// The websocket subprotocol that carries SPDY/3.1 frames of `v1`.
    public static let spdyTunnel = "SPDY/3.1+\(v1)"

    /// Stream headers (SPDY lower-cases names).
    public static let streamTypeHeader = "streamtype"
    public static let portHeader = "port"
    public static let requestIDHeader = "requestid"
    public static let dataStream = "data"
    public static let errorStream = "error"

    /// The subprotocol to answer with, from a `Sec-WebSocket-Protocol` request header.
    public static func negotiate(_ header: String?) -> String? {
        let offered = (header ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        return offered.contains(spdyTunnel) ? spdyTunnel : nil
    }
}
