import SkiffSystem
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
    private let state = Mutex(State())

    /// What the proxy remembers between syncs.
    private struct State {
        /// Each Service as last given, with its rendering: an equal Service is not rendered again.
        var rendered: [String: (service: ProxyService, rendered: RenderedService)] = [:]
        /// The port fragments the table holds now, by id; nil when unknown (never synced, or a
        /// sync failed midway), which makes the next sync a full one.
        var applied: [String: PortFragment]?
        /// Chains of the table left empty for a later script to delete (ProxyScript.incremental).
        var staleChains: Set<String> = []
    }

    public init(node: ProxyNode, commands: any ProxyCommands = SystemProxyCommands()) {
        self.node = node
        self.commands = commands
    }

    /// Programs the table for `services` and clears conntrack entries of UDP flows whose
    /// endpoint went away. Input that cannot be programmed is left out and returned in the
    /// report; it never fails the sync. Throws when nft refuses the rules.
    @discardableResult
    public func sync(services: [ProxyService]) throws -> ProxySyncReport {
        try state.withLock { state in
            let clock = ContinuousClock()
            var mark = clock.now
            let clusterCIDR = node.clusterCIDR.flatMap(IPv4.canonicalCIDR)
            // Only Services that changed are rendered; their old and new fragments are what
            // the sync compares.
            var rendered: [String: (service: ProxyService, rendered: RenderedService)] = [:]
            var dirtyIDs: Set<String> = []
            for service in services {
                let key = "\(service.namespace)/\(service.name)"
                if let cached = state.rendered[key], cached.service == service {
                    rendered[key] = cached
                    continue
                }
                let fresh = ServiceRenderer.render(service, clusterCIDR: clusterCIDR)
                for fragment in fresh.fragments + (state.rendered[key]?.rendered.fragments ?? []) { dirtyIDs.insert(fragment.id) }
                rendered[key] = (service, fresh)
            }
            for (key, gone) in state.rendered where rendered[key] == nil {
                for fragment in gone.rendered.fragments { dirtyIDs.insert(fragment.id) }
            }
            state.rendered = rendered
            let assembly = ProxyAssembly(services.map { rendered["\($0.namespace)/\($0.name)"] ?? ($0, RenderedService()) })
            var report = ProxySyncReport(skipped: assembly.skipped)
            report.buildDuration = clock.now - mark
            mark = clock.now

            let previous = state.applied
            // Unknown until nft says yes: a failure below leaves the next sync a full one.
            state.applied = nil
            // Ports that entered or left the table because a clash partner changed count too.
            if let previous {
                for id in previous.keys where assembly.fragments[id] == nil { dirtyIDs.insert(id) }
                for id in assembly.fragments.keys where previous[id] == nil { dirtyIDs.insert(id) }
            }
            let before = ProxyRuleset(merging: dirtyIDs.compactMap { previous?[$0] })
            let after = ProxyRuleset(merging: dirtyIDs.compactMap { assembly.fragments[$0] })
            let patch = previous == nil ? nil : ProxyScript.incremental(from: before, to: after, node: node, staleChains: state.staleChains)
            let script = patch?.script
            report.diffDuration = clock.now - mark
            mark = clock.now
            if let script {
                if script.isEmpty {
                    state.applied = assembly.fragments
                    return report
                }
                do {
                    try commands.applyNFTables(script)
                    report.scriptBytes = script.utf8.count
                    state.staleChains = patch?.staleChains ?? []
                } catch {
                    // The kernel refused the difference (someone edited our table?): start over.
                    report.recoveredFrom = "\(error)"
                    try applyFull(assembly, state: &state, report: &report)
                }
            } else {
                try applyFull(assembly, state: &state, report: &report)
            }
            state.applied = assembly.fragments
            report.conntrackErrors = clearStaleUDP(from: before, to: after, report: &report)
            report.applyDuration = clock.now - mark
            return report
        }
    }

    /// Removes the table, for an agent that stops proxying. A missing table is fine.
    public func removeTable() throws {
        try state.withLock { state in
            state.applied = nil
            try commands.applyNFTables("add table ip \(node.tableName)\ndelete table ip \(node.tableName)\n")
        }
    }

    private func applyFull(_ assembly: ProxyAssembly, state: inout State, report: inout ProxySyncReport) throws {
        state.staleChains = []
        let script = ProxyScript.full(ProxyRuleset(merging: assembly.fragments.values), node: node)
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
