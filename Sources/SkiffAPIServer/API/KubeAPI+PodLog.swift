import SkiffAPI
import SkiffNodeAPI

extension KubeAPI {
    /// kubelet's log parameters, passed through to the agent as they came.
    static let logParameters = ["follow", "tailLines", "timestamps", "previous", "limitBytes", "sinceSeconds", "sinceTime"]

    /// `GET …/pods/P/log`: the agent's `/containerLogs`, streamed to the client chunk by chunk
    /// (a followed log ends when either side does).
    func podLog(_ target: Target, _ request: APIRequest) async throws -> APIResponse {
        let namespace = target.namespace ?? "default"
        let resolved = try await containerTarget(namespace: namespace, pod: target.name ?? "", container: request.query["container"])
        let query = Self.logParameters.compactMap { name in request.query[name].map { "\(name)=\(QueryString.encode($0))" } }
        let path =
            "/containerLogs/\(QueryString.encode(namespace))/\(QueryString.encode(resolved.pod))/\(QueryString.encode(resolved.container))"
            + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
        let response: NodeAPIResponse
        do {
            response = try await nodeProxy.client.get(resolved.endpoint, path: path)
        } catch {
            throw Self.agentUnavailable(error, node: resolved.endpoint.nodeName)
        }
        guard response.status == 200 else {
            let text = String(decoding: (try? await response.collect(upTo: 64 << 10)) ?? [], as: UTF8.self)
            throw Self.agentError(status: response.status, message: text)
        }
        let logger = self.logger
        return APIResponse(
            status: 200, contentType: "text/plain",
            body: .stream { writer in
                do {
                    try await response.forEachChunk { try await writer.write($0) }
                } catch is CancellationError {
                    return
                } catch {
                    // The agent went away mid-stream: end the log as the kubelet's going away would.
                    logger.info("log stream from agent ended", metadata: ["pod": "\(namespace)/\(resolved.pod)", "error": "\(error)"])
                }
            })
    }

    /// An agent's non-200 answer as a Status: its own status code, its text as the message.
    static func agentError(status: Int, message: String) -> APIError {
        let reason =
            switch status {
            case 400: "BadRequest"
            case 401, 403: "InternalError"
            case 404: "NotFound"
            default: "InternalError"
            }
        // 401/403 from an agent means the server's credential for it is wrong: the server's fault.
        let code = status == 401 || status == 403 ? 500 : status
        let text = message.split(separator: "\n").joined(separator: "; ")
        return APIError(code: code, reason: reason, message: text.isEmpty ? "the agent answered \(status)" : text)
    }
}
