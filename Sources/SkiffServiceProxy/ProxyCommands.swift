import SkiffSystem

/// The programs the proxy drives: `nft` for the table and `conntrack` for stale UDP flows. A
/// seam so the sync logic is tested without root; `SystemProxyCommands` is the real one.
public protocol ProxyCommands: Sendable {
    /// Applies an nft script as one transaction; throws with nft's message when it is refused.
    func applyNFTables(_ script: String) throws
    /// Runs `conntrack` with `arguments`. Finding nothing to delete is not an error.
    func conntrack(_ arguments: [String]) throws
}

/// Runs `nft -f -` and `conntrack`, in this network namespace or, for tests and the bench, in
/// a named one (`ip netns exec NAME …`).
public struct SystemProxyCommands: ProxyCommands {
    public let networkNamespace: String?

    public init(networkNamespace: String? = nil) {
        self.networkNamespace = networkNamespace
    }

    static let environment = ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"]

    public func applyNFTables(_ script: String) throws {
        let output = try run(tool: "nft", ["-f", "-"], input: Array(script.utf8))
        guard output.status == .exited(0) else {
            throw RuntimeError("nft refused the proxy's rules (\(output.status)): \(output.stderr.trimmed)")
        }
    }

    public func conntrack(_ arguments: [String]) throws {
        let output = try run(tool: "conntrack", arguments, input: [])
        // conntrack -D exits 1 with "0 flow entries have been deleted" when none matched.
        guard output.status == .exited(0) || output.stderr.contains("0 flow entries") else {
            throw RuntimeError("conntrack \(arguments.joined(separator: " ")) failed (\(output.status)): \(output.stderr.trimmed)")
        }
    }

    private func run(tool: String, _ arguments: [String], input: [UInt8]) throws -> CommandOutput {
        let path = try SystemProxyCommands.find(tool)
        guard let networkNamespace else { return try Command.run(path, arguments, environment: Self.environment, input: input) }
        return try Command.run(
            try SystemProxyCommands.find("ip"), ["netns", "exec", networkNamespace, path] + arguments, environment: Self.environment,
            input: input)
    }

    /// The tool's path in the usual sbin/bin directories.
    static func find(_ tool: String) throws -> String {
        for directory in ["/usr/sbin", "/usr/bin", "/sbin", "/bin"] where FileSystem.exists("\(directory)/\(tool)") {
            return "\(directory)/\(tool)"
        }
        throw RuntimeError("\(tool) is not installed (scripts/setup installs nftables, conntrack and iproute2)")
    }
}

extension String {
    /// Without leading and trailing whitespace and newlines, for quoting a tool's message.
    fileprivate var trimmed: String {
        let isSpace: (Character) -> Bool = { $0.isWhitespace }
        return String(drop(while: isSpace).reversed().drop(while: isSpace).reversed())
    }
}
