import SkiffAPI
import SkiffNodeAPI

extension KubeAPI {
    /// The agent paths `nodes/NODE/proxy/…` may reach (read-only: stats, metrics, pods, health),
    /// and `stats/history/NAMESPACE/POD`.
    static let nodeProxyPaths = ["stats/summary", "metrics/resource", "metrics/cadvisor", "pods", "healthz"]

    static func isNodeProxyPath(_ path: [String]) -> Bool {
        if path.count == 4, path[0] == "stats", path[1] == "history" { return !path[2].isEmpty && !path[3].isEmpty }
        return nodeProxyPaths.contains(path.joined(separator: "/"))
    }

    /// `GET /api/v1/nodes/NODE/proxy/PATH`: the kubelet-API passthrough `kubectl get --raw` and
    /// monitoring use, answered by the node's agent. Admin only.
    func nodeProxy(_ request: APIRequest, identity: Identity, node: String, path: [String]) async throws -> APIResponse {
        guard identity.isPrivileged else { throw APIError.forbidden("nodes/proxy is only for cluster admins") }
        guard request.method == "GET" else { throw APIError.methodNotAllowed("nodes/proxy only serves GET") }
        let agentPath = path.joined(separator: "/")
        guard Self.isNodeProxyPath(path) else {
            throw APIError(
                code: 404, reason: "NotFound",
                message: "nodes/proxy serves only \((Self.nodeProxyPaths + ["stats/history/NAMESPACE/POD"]).joined(separator: ", "))")
        }
        let endpoint = try await nodeEndpoint(node)
        let response: NodeAPIResponse
        do {
            response = try await nodeProxy.client.get(endpoint, path: "/" + agentPath)
        } catch {
            throw Self.agentUnavailable(error, node: node)
        }
        let body = try await response.collect(upTo: 64 << 20)
        guard response.status == 200 else {
            throw Self.agentError(status: response.status, message: String(decoding: body, as: UTF8.self))
        }
        let contentType = agentPath.hasPrefix("metrics/") ? "text/plain; version=0.0.4" : (agentPath == "healthz" ? "text/plain" : "application/json")
        return APIResponse(status: 200, contentType: contentType, body: .bytes(body))
    }
}
