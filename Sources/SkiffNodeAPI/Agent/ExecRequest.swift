/// A parsed `GET /exec/{namespace}/{pod}/{container}?command=…&stdin=…&stdout=…&stderr=…&tty=…`.
struct ExecRequest: Sendable, Equatable {
    let namespace: String
    let pod: String
    let container: String
    let command: [String]
    let stdin: Bool
    let stdout: Bool
    let stderr: Bool
    let tty: Bool

    /// `target` is the request target (path and query). Throws `NodeAPIError.badRequest` for a
    /// malformed request, nil when the path is not an exec path at all.
    static func parse(target: String) throws -> ExecRequest? {
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let segments = parts[0].split(separator: "/").map { QueryString.decode($0) }
        guard segments.count == 4, segments[0] == "exec" else { return nil }
        let query = parts.count > 1 ? QueryString.parse(parts[1]) : []
        func flag(_ name: String) -> Bool { QueryString.values(name, in: query).last.map { $0 == "true" || $0 == "1" } ?? false }
        let command = QueryString.values("command", in: query)
        guard !command.isEmpty else { throw NodeAPIError.badRequest("exec needs a command (query parameter \"command\")") }
        let request = ExecRequest(
            namespace: segments[1], pod: segments[2], container: segments[3], command: command,
            stdin: flag("stdin"), stdout: flag("stdout"), stderr: flag("stderr"), tty: flag("tty"))
        guard request.stdin || request.stdout || request.stderr else {
            throw NodeAPIError.badRequest("you must specify at least 1 of stdin, stdout, stderr")
        }
        return request
    }
}
