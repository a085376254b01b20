import SkiffAPI
import SkiffSystem
import Synchronization

/// Keeps this node's policy table in step with the policies, pods and namespaces given to
/// `sync`: one `nft -f` transaction per sync, only the changed sets when the chains are the
/// same, the whole table (atomically replaced) otherwise. Blocks while nft runs: call it off
/// the cooperative pool. Calls are serialized.
public final class NetworkPolicyEnforcer: Sendable {
    public let tableName: String
    private let commands: any PolicyCommands
    /// The ruleset the table holds; nil until the first sync and after nft refused a script.
    private let applied = Mutex<PolicyRuleset?>(nil)

    public init(tableName: String = "skiff-netpol", commands: any PolicyCommands = SystemPolicyCommands()) {
        self.tableName = tableName
        self.commands = commands
    }

    /// What one sync sent.
    public struct Report: Sendable, Equatable {
        public var fullSync: Bool
        public var scriptBytes: Int
    }

    @discardableResult
    public func sync(policies: [NetworkPolicy], pods: [PolicyPod], namespaces: [PolicyNamespace]) throws -> Report {
        let ruleset = PolicyCompiler.compile(policies: policies, pods: pods, namespaces: namespaces)
        return try applied.withLock { applied in
            let patch = applied.flatMap { ruleset.incrementalScript(from: $0, table: tableName) }
            let script = patch ?? ruleset.fullScript(table: tableName)
            applied = nil
            if !script.isEmpty { try commands.applyNFTables(script) }
            applied = ruleset
            return Report(fullSync: patch == nil, scriptBytes: script.utf8.count)
        }
    }

    /// Deletes the table (the agent stops enforcing): every pod is unrestricted again.
    public func removeTable() throws {
        try applied.withLock { applied in
            applied = nil
            try commands.applyNFTables("add table ip \(tableName)\ndelete table ip \(tableName)\n")
        }
    }
}

/// The program the enforcer drives; a seam so syncs are tested without root.
public protocol PolicyCommands: Sendable {
    /// Applies an nft script as one transaction; throws with nft's message when it is refused.
    func applyNFTables(_ script: String) throws
}

/// Runs `nft -f -` in this network namespace.
public struct SystemPolicyCommands: PolicyCommands {
    public init() {}

    public func applyNFTables(_ script: String) throws {
        guard let nft = ["/usr/sbin/nft", "/sbin/nft", "/usr/bin/nft"].first(where: FileSystem.exists) else {
            throw RuntimeError("nft is not installed (scripts/setup installs nftables)")
        }
        let output = try Command.run(nft, ["-f", "-"], environment: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"], input: Array(script.utf8))
        guard output.status == .exited(0) else {
            throw RuntimeError("nft refused the network policy rules (\(output.status)): \(output.stderr)")
        }
    }
}
