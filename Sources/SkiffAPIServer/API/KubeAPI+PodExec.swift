import SkiffAPI
import SkiffNodeAPI

/// Where a websocket exec or attach goes: the agent's `/exec/…` or `/attach/…` path on the pod's node.
public struct ExecPlan: Sendable {
    public let endpoint: NodeEndpoint
    /// Path and query on the agent.
    public let agentPath: String
    /// `namespace/pod/container`, for logs.
    public let container: String
}

extension KubeAPI {
    static let spdyUnsupported = "Upgrade: SPDY/3.1 is not supported; use a client that speaks websocket (kubectl ≥ 1.30)"

    /// pods/exec without a websocket upgrade (SPDY, or a plain request): the same checks as a
    /// real exec, so the client learns about a missing pod or container first, then 400.
    func podExec(_ target: Target, _ request: APIRequest) async throws -> APIResponse {
        _ = try await containerTarget(namespace: target.namespace ?? "default", pod: target.name ?? "", container: request.query["container"])
        guard request.query["command"] != nil else { throw APIError.badRequest("you must specify at least 1 command") }
        try Self.refuseWithoutWebSocket("exec", request)
    }

    /// pods/attach without a websocket upgrade: as `podExec`.
    func podAttach(_ target: Target, _ request: APIRequest) async throws -> APIResponse {
        _ = try await containerTarget(namespace: target.namespace ?? "default", pod: target.name ?? "", container: request.query["container"])
        try Self.refuseWithoutWebSocket("attach", request)
    }

    static func refuseWithoutWebSocket(_ verb: String, _ request: APIRequest) throws -> Never {
        if (request.headers["upgrade"] ?? "").lowercased().contains("websocket") {
            throw APIError.badRequest(
                "\(verb) over websocket needs the subprotocol \(ExecChannelProtocol.v5) or \(ExecChannelProtocol.v4); got \"\(request.headers["sec-websocket-protocol"] ?? "")\""
            )
        }
        throw APIError.badRequest(spdyUnsupported)
    }

    /// Checks a websocket exec request (`GET /api/v1/namespaces/NS/pods/P/exec?command=…`) and
    /// says where to relay it. Throws whatever the plain HTTP request would answer; only the
    /// admin may exec.
    public func execPlan(
        path: String, query: [(name: String, value: String)], headers: [String: String], clientCertificate: [UInt8]? = nil
    ) async throws -> ExecPlan {
        try await streamPlan("exec", path: path, query: query, headers: headers, clientCertificate: clientCertificate)
    }

    /// Checks a websocket attach request (`GET /api/v1/namespaces/NS/pods/P/attach?stdin=…`), as
    /// `execPlan` does (the same authorization: only the admin may attach).
    public func attachPlan(
        path: String, query: [(name: String, value: String)], headers: [String: String], clientCertificate: [UInt8]? = nil
    ) async throws -> ExecPlan {
        try await streamPlan("attach", path: path, query: query, headers: headers, clientCertificate: clientCertificate)
    }

    /// pods/exec and pods/attach: who asks, which container, and the agent's path for it.
    func streamPlan(
        _ subresource: String, path: String, query: [(name: String, value: String)], headers: [String: String], clientCertificate: [UInt8]?
    ) async throws -> ExecPlan {
        let segments = path.split(separator: "/").map(String.init)
        guard segments.count == 7, segments[0] == "api", segments[1] == "v1", segments[2] == "namespaces", segments[4] == "pods",
            segments[6] == subresource
        else { throw Self.pathNotFound }
        switch try await identify(APIRequest(method: "GET", path: path, headers: headers, clientCertificate: clientCertificate)) {
        case nil: throw APIError.unauthorized
        case .node(let node): throw APIError.forbidden("node \"\(node)\" cannot get resource \"pods/\(subresource)\"")
        case let identity?:
            guard identity.isPrivileged else { throw APIError.forbidden("pods/\(subresource) is only for cluster admins") }
        }
        let resolved = try await containerTarget(namespace: segments[3], pod: segments[5], container: QueryString.values("container", in: query).last)
        var parameters: [String] = []
        if subresource == "exec" {
            let command = QueryString.values("command", in: query)
            guard !command.isEmpty else { throw APIError.badRequest("you must specify at least 1 command") }
            parameters = command.map { "command=\(QueryString.encode($0))" }
        }
        for flag in ["stdin", "stdout", "stderr", "tty"] {
            parameters.append("\(flag)=\(QueryString.values(flag, in: query).last ?? "false")")
        }
        let agentPath =
            "/\(subresource)/\(QueryString.encode(resolved.namespace))/\(QueryString.encode(resolved.pod))/\(QueryString.encode(resolved.container))?"
            + parameters.joined(separator: "&")
        return ExecPlan(endpoint: resolved.endpoint, agentPath: agentPath, container: "\(resolved.namespace)/\(resolved.pod)/\(resolved.container)")
    }
}
