import SkiffJSON
import SkiffSystem

/// Runs iproute2 (`ip`, `bridge`), `nft` and `sysctl` in the host's network namespace, or in a
/// named one (/run/netns/NAME, as `ip netns add` makes) through nsenter — how the tests give
/// each simulated host its own.
///
/// Why iproute2 rather than rtnetlink sockets: `ip -batch` applies a whole sync in one process,
/// `ip -json` reads state in a form that is stable across versions, and the same text is what
/// an operator types to inspect or repair a node. Netlink would need message encoding for
/// links, routes, neighbours and the VXLAN fdb in Swift, for a few spawns saved per sync.
public struct NetworkTools: Sendable {
    public enum Tool: String, Sendable {
        case ip, bridge, nft, sysctl
    }

    /// nil: this process's network namespace.
    public let networkNamespace: String?

    public init(networkNamespace: String? = nil) {
        self.networkNamespace = networkNamespace
    }

    /// Runs `tool` and returns its stdout; a failure names the command and what it printed.
    @discardableResult
    func run(_ tool: Tool, _ arguments: [String], input: String = "") throws -> String {
        let output = try runAllowingFailure(tool, arguments, input: input)
        guard output.status == .exited(0) else {
            let shown = ([tool.rawValue] + arguments).joined(separator: " ")
            let batch = input.isEmpty ? "" : " with input:\n\(input)"
            throw RuntimeError("\(shown) failed (\(output.status))\(namespaceNote): \(output.stderr.trimmed)\(batch)")
        }
        return output.stdout
    }

    func runAllowingFailure(_ tool: Tool, _ arguments: [String], input: String = "") throws -> CommandOutput {
        let path = try Self.locate(tool.rawValue)
        let environment = ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"]
        guard let networkNamespace else {
            return try Command.run(path, arguments, environment: environment, input: Array(input.utf8))
        }
        let nsenter = try Self.locate("nsenter")
        return try Command.run(nsenter, ["--net=/run/netns/\(networkNamespace)", path] + arguments, environment: environment, input: Array(input.utf8))
    }

    /// Runs a read-only command with `-json` output and parses it; no output reads as [].
    func json(_ tool: Tool, _ arguments: [String]) throws -> JSON {
        let text = try run(tool, ["-json"] + arguments)
        guard !text.trimmed.isEmpty else { return .array([]) }
        do {
            return try JSON(parsing: text)
        } catch {
            throw RuntimeError("\(tool.rawValue) -json \(arguments.joined(separator: " ")) printed what is not JSON (\(error))\(namespaceNote)")
        }
    }

    /// Applies `lines` with `tool -batch -` in one process; nothing to do runs nothing.
    func batch(_ tool: Tool, _ lines: [String]) throws {
        guard !lines.isEmpty else { return }
        try run(tool, ["-batch", "-"], input: lines.joined(separator: "\n") + "\n")
    }

    private var namespaceNote: String { networkNamespace.map { " in network namespace \($0)" } ?? "" }

    static func locate(_ name: String) throws(RuntimeError) -> String {
        for directory in ["/usr/sbin", "/sbin", "/usr/bin", "/bin"] where FileSystem.exists("\(directory)/\(name)") {
            return "\(directory)/\(name)"
        }
        throw RuntimeError("\(name) not found in /usr/sbin, /sbin, /usr/bin or /bin (the pod network needs iproute2, nftables and util-linux)")
    }
}

extension StringProtocol {
    /// Without leading and trailing whitespace and newlines.
    var trimmed: String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
