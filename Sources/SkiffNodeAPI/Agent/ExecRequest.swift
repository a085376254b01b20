/// A parsed `GET /exec/{namespace}/{pod}/{container}?command=…&stdin=…&stdout=…&stderr=…&tty=…`,
/// or `GET /attach/{namespace}/{pod}/{container}?stdin=…&stdout=…&stderr=…&tty=…`: both speak the
/// same channel protocol, so one relay serves them.
struct ExecRequest: Sendable, Equatable {
    enum Kind: String, Sendable, Equatable {
        /// Runs `command` in the container.
        case exec
        /// Joins the container's own stdio (kubelet's attach).
        case attach
    }

    let kind: Kind
    let namespace: String
    let pod: String
    let container: String
    /// Empty for attach.
    let command: [String]
    let stdin: Bool
    let stdout: Bool
    let stderr: Bool
    let tty: Bool

    /// `target` is the request target (path and query). Throws `NodeAPIError.badRequest` for a
    /// malformed request, nil when the path is neither an exec nor an attach path.
    static func parse(target: String) throws -> ExecRequest? {
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let segments = parts[0].split(separator: "/").map { QueryString.decode($0) }
        guard segments.count == 4, let kind = Kind(rawValue: segments[0]) else { return nil }
        let query = parts.count > 1 ? QueryString.parse(parts[1]) : []
        func flag(_ name: String) -> Bool { QueryString.values(name, in: query).last.map { $0 == "true" || $0 == "1" } ?? false }
        let command = kind == .exec ? QueryString.values("command", in: query) : []
        guard kind == .attach || !command.isEmpty else { throw NodeAPIError.badRequest("exec needs a command (query parameter \"command\")") }
        let tty = flag("tty")
        let request = ExecRequest(
            kind: kind, namespace: segments[1], pod: segments[2], container: segments[3], command: command,
            // As kubelet: a terminal has one output stream, so stderr goes with stdout.
            stdin: flag("stdin"), stdout: flag("stdout"), stderr: flag("stderr") && !tty, tty: tty)
        guard request.stdin || request.stdout || flag("stderr") else {
            throw NodeAPIError.badRequest("you must specify at least 1 of stdin, stdout, stderr")
        }
        return request
    }
}
