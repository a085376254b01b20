import SkiffAPI
import SkiffNodeAPI

extension KubeAPI {
    static let spdyPortForwardUnsupported =
        "Upgrade: SPDY/3.1 is not supported for port-forward; kubectl ≥ 1.31 tunnels it through a websocket "
        + "(subprotocol \(PortForwardProtocol.spdyTunnel)): unset KUBECTL_PORT_FORWARD_WEBSOCKETS=false"

    /// pods/portforward without an acceptable websocket upgrade (plain SPDY, or a websocket with
    /// another subprotocol): the pod is checked first, then 400 with what to use instead.
    func podPortForward(_ target: Target, _ request: APIRequest) async throws -> APIResponse {
        _ = try await podEndpoint(namespace: target.namespace ?? "default", pod: target.name ?? "")
        if (request.headers["upgrade"] ?? "").lowercased().contains("websocket") {
            throw APIError.badRequest(
                "port-forward over websocket needs the subprotocol \(PortForwardProtocol.spdyTunnel); got \"\(request.headers["sec-websocket-protocol"] ?? "")\""
            )
        }
        throw APIError.badRequest(Self.spdyPortForwardUnsupported)
    }

    /// Checks a websocket port-forward (`GET /api/v1/namespaces/NS/pods/P/portforward`) and says
    /// where to relay it: the agent's `/portForward/NS/P`, which serves the tunnelled SPDY.
    /// Throws whatever the plain request would answer; only the admin may port-forward.
    public func portForwardPlan(path: String, headers: [String: String], clientCertificate: [UInt8]? = nil) async throws -> ExecPlan {
        let segments = path.split(separator: "/").map(String.init)
        guard segments.count == 7, segments[0] == "api", segments[1] == "v1", segments[2] == "namespaces", segments[4] == "pods",
            segments[6] == "portforward"
        else { throw Self.pathNotFound }
        switch try await identify(APIRequest(method: "GET", path: path, headers: headers, clientCertificate: clientCertificate)) {
        case nil: throw APIError.unauthorized
        case .node(let node): throw APIError.forbidden("node \"\(node)\" cannot create resource \"pods/portforward\"")
        case let identity?:
            guard identity.isPrivileged else { throw APIError.forbidden("pods/portforward is only for cluster admins") }
        }
        let endpoint = try await podEndpoint(namespace: segments[3], pod: segments[5])
        let agentPath = "/portForward/\(QueryString.encode(segments[3]))/\(QueryString.encode(segments[5]))"
        return ExecPlan(endpoint: endpoint, agentPath: agentPath, container: "\(segments[3])/\(segments[5])")
    }

    /// The agent of the node a pod runs on; 404 for no such pod, 400 before it is scheduled.
    func podEndpoint(namespace: String, pod name: String) async throws -> NodeEndpoint {
        guard let stored = try await storeGet(CoreResources.pod.key(namespace: namespace, name: name)) else {
            throw APIError.notFound(CoreResources.pod.naming, name: name)
        }
        guard let nodeName = try decode(stored)["spec"]["nodeName"].string, !nodeName.isEmpty else {
            throw APIError.badRequest("pod \(name) does not have a host assigned")
        }
        return try await nodeEndpoint(nodeName)
    }
}
