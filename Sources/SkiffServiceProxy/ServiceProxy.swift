import Synchronization

/// kube-proxy's job in nftables mode: keeps one `ip` table in step with the Services given to
/// `sync`. The first sync, and the one after any failure, rewrites the whole table in one
/// transaction; later ones send only the chains and map elements that changed.
///
/// `sync` runs `nft` and `conntrack` and blocks until they finish, so async callers should call
/// it off the cooperative pool. Calls are serialized.
public final class ServiceProxy: Sendable {
    public let node: ProxyNode
    private let commands: any ProxyCommands
    /// What the table holds now; nil when unknown (never synced, or a sync failed midway).
    private let applied = Mutex<ProxyRuleset?>(nil)

    public init(node: ProxyNode, commands: any ProxyCommands = SystemProxyCommands()) {
        self.node = node
        self.commands = commands
    }

    /// Programs the table for `services` and clears conntrack entries of UDP flows whose
    /// endpoint went away. Input that cannot be programmed is left out and returned in the
    /// report; it never fails the sync. Throws when nft refuses the rules.
    @discardableResult
    public func sync(services: [ProxyService]) throws -> ProxySyncReport {
        try applied.withLock { applied in
            let clock = ContinuousClock()
            var mark = clock.now
            let (ruleset, skipped) = ProxyRuleset.build(services: services, node: node)
            var report = ProxySyncReport(skipped: skipped)
            report.buildDuration = clock.now - mark
            mark = clock.now
            let previous = applied
            let script = previous.flatMap { ProxyScript.incremental(from: $0, to: ruleset, node: node) }
            report.diffDuration = clock.now - mark
            mark = clock.now
            // Unknown until nft says yes: a failure below leaves the next sync a full one.
            applied = nil
            if let script {
                if script.isEmpty {
                    applied = ruleset
                    return report
                }
                do {
                    try commands.applyNFTables(script)
                    report.scriptBytes = script.utf8.count
                } catch {
                    // The kernel refused the difference (someone edited our table?): start over.
                    report.recoveredFrom = "\(error)"
                    try applyFull(ruleset, report: &report)
                }
            } else {
                try applyFull(ruleset, report: &report)
            }
            applied = ruleset
            report.conntrackErrors = clearStaleUDP(from: previous ?? ProxyRuleset(), to: ruleset, report: &report)
            report.applyDuration = clock.now - mark
            return report
        }
    }

    /// Removes the table, for an agent that stops proxying. A missing table is fine.
    public func removeTable() throws {
        try applied.withLock { applied in
            applied = nil
            try commands.applyNFTables("add table ip \(node.tableName)\ndelete table ip \(node.tableName)\n")
        }
    }

    private func applyFull(_ ruleset: ProxyRuleset, report: inout ProxySyncReport) throws {
        let script = ProxyScript.full(ruleset, node: node)
        try commands.applyNFTables(script)
        report.fullSync = true
        report.scriptBytes = script.utf8.count
    }

    /// conntrack keeps sending a UDP "connection" (any datagrams with the same addresses) to
    /// the endpoint it was first DNATed to, gone or not, and it keeps a destination that had
    /// no endpoints pointing nowhere. Both are deleted so the next datagram is routed afresh.
    /// Failures are returned, not thrown: the table is right, and the flows time out anyway.
    private func clearStaleUDP(from old: ProxyRuleset, to new: ProxyRuleset, report: inout ProxySyncReport) -> [String] {
        var errors: [String] = []
        func destination(_ destination: UDPDestination) -> [String] {
            ["-p", "udp"] + (destination.address.map { ["--orig-dst", $0] } ?? []) + ["--orig-port-dst", String(destination.port)]
        }
        var commandsToRun: [[String]] = []
        for flow in old.udpFlows.subtracting(new.udpFlows) {
            commandsToRun.append(["-D"] + destination(flow.destination) + ["--reply-src", flow.endpoint])
        }
        for served in new.servedUDP.subtracting(old.servedUDP) {
            commandsToRun.append(["-D"] + destination(served))
        }
        for arguments in commandsToRun.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            do {
                try commands.conntrack(arguments)
                report.conntrackDeletions += 1
            } catch {
                errors.append("\(error)")
            }
        }
        return errors
    }
}

/// What one sync did, for logs, events and the bench.
public struct ProxySyncReport: Sendable, Equatable {
    /// Input left out of the table, with the reason.
    public var skipped: [ProxySkip]
    /// Whether the whole table was rewritten (first sync, recovery) rather than patched.
    public var fullSync = false
    /// The size of the script sent to nft; 0 when nothing changed.
    public var scriptBytes = 0
    /// Why an incremental update was refused and replaced by a full rewrite, if it was.
    public var recoveredFrom: String?
    /// conntrack deletions run for UDP flows to vanished endpoints or newly served VIPs.
    public var conntrackDeletions = 0
    /// conntrack runs that failed (the flows then expire on their own).
    public var conntrackErrors: [String] = []
    /// Time spent turning the Services into a ruleset, diffing it (and writing the full
    /// script when one is needed, inside `applyDuration`), and in nft and conntrack.
    public var buildDuration = Duration.zero
    public var diffDuration = Duration.zero
    public var applyDuration = Duration.zero

    public init(skipped: [ProxySkip] = []) {
        self.skipped = skipped
    }
}
