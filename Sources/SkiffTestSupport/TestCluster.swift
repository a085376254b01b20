import Foundation

/// A multi-host cluster for a test, made by `scripts/cluster`: one `skiff server` and agents on
/// hosts of their own (network namespaces on a shared bridge, each with its own data dir, runtime
/// root, cgroup root and node name). One cluster runs on a machine at a time; `with` waits for a
/// machine-wide lease, so clusters of concurrent test processes take turns instead of colliding.
public final class TestCluster: Sendable {
    /// The store `skiff server` keeps its objects in.
    public enum Store: String, Sendable {
        case sqlite, etcd
    }

    /// The checkout whose `scripts/cluster` runs (`$SKIFF_REPO`, else this file's).
    public static let repository: String = {
        if let explicit = ProcessInfo.processInfo.environment["SKIFF_REPO"] { return explicit }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }()

    /// Where `scripts/cluster` keeps its state: pids, per-node dirs, logs.
    public static var state: String { repository + "/.cache/cluster" }
    public var kubeconfig: String { Self.state + "/admin.kubeconfig" }
    /// The agents' node names (node1, node2, …), which are also their host names.
    public let nodes: [String]
    /// The server hosts: "server", and with HA server2… and the etcd-only etcdK.
    public let servers: [String]
    private let lease: MachineLease

    private init(nodes: [String], servers: [String], lease: MachineLease) {
        self.nodes = nodes
        self.servers = servers
        self.lease = lease
    }

    /// Brings a cluster up, runs `body`, and always brings it down (printing the logs' tails when
    /// `body` failed), then releases the machine.
    /// `servers` > 1 or `etcdMembers` > 1 makes an HA cluster: servers with embedded etcd members
    /// (`server`, `server2`, …) and etcd-only members (`etcdK`).
    public static func with(
        nodes: Int = 3, vmNodes: Int = 0, store: Store = .sqlite, servers: Int = 1, etcdMembers: Int? = nil, serverArguments: [String] = [],
        agentArguments: [String] = [], _ body: (TestCluster) async throws -> Void
    ) async throws {
        let cluster = try await up(
            nodes: nodes, vmNodes: vmNodes, store: store, servers: servers, etcdMembers: etcdMembers, serverArguments: serverArguments,
            agentArguments: agentArguments)
        do {
            try await body(cluster)
        } catch {
            print(cluster.logTails())
            try? await cluster.down()
            throw error
        }
        try await cluster.down()
    }

    /// `scripts/cluster up`, after taking the machine's lease and clearing a cluster a crashed run
    /// left. Call `down()` when done.
    /// `vmNodes` more hosts (vm1, vm2, …) are cgroup v2 VMs running the static agent.
    public static func up(
        nodes: Int = 3, vmNodes: Int = 0, store: Store = .sqlite, servers: Int = 1, etcdMembers: Int? = nil, serverArguments: [String] = [],
        agentArguments: [String] = []
    )
        async throws -> TestCluster
    {
        let lease = try await MachineLease.acquire()
        do {
            try await script(["down"])
            var arguments = ["up", "--nodes", "\(nodes)", "--vm-nodes", "\(vmNodes)"]
            if servers > 1 || (etcdMembers ?? 1) > 1 {
                arguments += ["--servers", "\(servers)", "--etcd-members", "\(etcdMembers ?? servers)"]
            } else {
                arguments += ["--store", store.rawValue]
            }
            for argument in serverArguments { arguments += ["--server-arg", argument] }
            for argument in agentArguments { arguments += ["--agent-arg", argument] }
            // A VM boots and starts its agent under TCG: allow for it.
            try await script(arguments, timeout: vmNodes > 0 ? 900 : 300)
            let names = try await script(["nodes"]).stdout.split(separator: "\n").map(String.init)
            let serverHosts =
                ["server"] + (servers > 1 ? (2...servers).map { "server\($0)" } : [])
                + ((etcdMembers ?? servers) > servers ? ((servers + 1)...(etcdMembers ?? servers)).map { "etcd\($0)" } : [])
            return TestCluster(nodes: names, servers: serverHosts, lease: lease)
        } catch {
            _ = try? await script(["down"])
            lease.release()
            throw error
        }
    }

    /// `scripts/cluster down`, then releases the machine.
    public func down() async throws {
        defer { lease.release() }
        try await Self.script(["down"], timeout: 120)
    }

    /// The host loses power: its agent, monitors and containers die, its mounts go, its link goes down.
    public func killNode(_ name: String) async throws {
        try await Self.script(["kill-node", name])
    }

    /// The host boots again and its agent starts.
    public func startNode(_ name: String) async throws {
        try await Self.script(["start-node", name])
    }

    /// A node's agent alone is killed (SIGKILL) and started again; its pods keep running.
    public func restartAgent(_ name: String) async throws {
        try await Self.script(["restart-agent", name])
    }

    /// The server process is killed (SIGKILL) and started again on the same data.
    public func restartServer() async throws {
        try await Self.script(["restart-server"], timeout: 90)
    }

    /// Every process of a server host dies (kill -9), its etcd member with it.
    public func killServer(_ host: String) async throws {
        try await Self.script(["kill-server", host])
    }

    /// Starts a server host's `skiff server` again (it does not wait for its API).
    public func startServer(_ host: String) async throws {
        try await Self.script(["start-server", host])
    }

    /// The etcd member of a server host dies (kill -9); its server exits with it.
    public func killEtcd(_ host: String) async throws {
        try await Self.script(["kill-etcd", host])
    }

    /// A server host's address (server 10.99.0.2, serverK and etcdK 10.99.0.(1+K)).
    public static func address(ofServer host: String) -> String {
        if host == "server" { return "10.99.0.2" }
        let number = Int(host.drop { !$0.isNumber }) ?? 1
        return "10.99.0.\(1 + number)"
    }

    /// kubectl against one server host's API (the admin kubeconfig, another URL).
    public func kubectl(on host: String, _ arguments: String...) async throws -> Tools.Output {
        try await kubectl(["--server", "https://\(Self.address(ofServer: host)):6443"] + arguments)
    }

    /// The server host's identity in leader election (`HOSTNAME_SERVER-ID`).
    public func identity(ofServer host: String) -> String? {
        guard let id = try? String(contentsOfFile: Self.state + "/\(host)/data/server-id", encoding: .utf8) else { return nil }
        return ProcessInfo.processInfo.hostName + "_" + id.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Runs a command on a host (in its network namespace): a node name, or "server".
    public func exec(on host: String, _ arguments: [String]) async throws -> Tools.Output {
        try await Tools.run("/bin/bash", [Self.repository + "/scripts/cluster", "exec", host] + arguments)
    }

    public func kubectl(_ arguments: String..., input: String? = nil) async throws -> Tools.Output {
        try await kubectl(arguments, input: input)
    }

    public func kubectl(_ arguments: [String], input: String? = nil) async throws -> Tools.Output {
        try await Tools.run(try await Tools.kubectl(), ["--kubeconfig", kubeconfig] + arguments, input: input)
    }

    /// The processes in a host's cgroup subtree (`skiff-cluster/NAME`), in every hierarchy.
    public static func processes(ofHost host: String) -> Set<Int32> {
        processes(inCgroup: "skiff-cluster/" + host)
    }

    /// The processes in a cgroup subtree, in every mounted hierarchy (v1 and v2).
    public static func processes(inCgroup path: String) -> Set<Int32> {
        var found: Set<Int32> = []
        for mount in cgroupMounts() {
            guard let walker = FileManager.default.enumerator(atPath: mount + "/" + path) else { continue }
            var files = ["cgroup.procs"]
            while let entry = walker.nextObject() as? String {
                if entry.hasSuffix("/cgroup.procs") { files.append(entry) }
            }
            for file in files {
                let text = (try? String(contentsOfFile: mount + "/" + path + "/" + file, encoding: .utf8)) ?? ""
                found.formUnion(text.split(separator: "\n").compactMap { Int32($0) })
            }
        }
        return found
    }

    /// Whether a process lives: it exists and is not a zombie (a killed daemon's parent is
    /// init, which reaps when it gets to it; until then the dead process stays in /proc).
    public static func isAlive(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return false }
        // The state is the first field after the command name, which may itself hold spaces.
        let state = stat[stat.index(after: close)...].split(separator: " ").first
        return state != "Z" && state != "X"
    }

    /// Where the cgroup hierarchies are mounted (from /proc/self/mounts).
    public static func cgroupMounts() -> [String] {
        let mounts = (try? String(contentsOfFile: "/proc/self/mounts", encoding: .utf8)) ?? ""
        return mounts.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            guard fields.count > 2, fields[2] == "cgroup" || fields[2] == "cgroup2" else { return nil }
            return String(fields[1])
        }
    }

    /// The last lines of the server's and every agent's log, for a failed test's output.
    public func logTails(lines: Int = 15) -> String {
        let logs = servers.map { ($0, Self.state + "/\($0)/server.log") } + nodes.map { ($0, Self.state + "/nodes/\($0)/agent.log") }
        return logs.map { name, path in
            let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? "(no log)"
            return "--- \(name): \(path)\n" + text.split(separator: "\n").suffix(lines).joined(separator: "\n")
        }.joined(separator: "\n")
    }

    /// Runs `scripts/cluster ARGS…`; a non-zero exit throws with its output.
    @discardableResult
    static func script(_ arguments: [String], timeout: TimeInterval = 60) async throws -> Tools.Output {
        let output = try await Tools.run("/bin/bash", [repository + "/scripts/cluster"] + arguments, timeout: timeout)
        guard output.status == 0 else {
            throw Tools.Failure("scripts/cluster \(arguments.joined(separator: " ")) exited \(output.status): \(output.stderr)\(output.stdout)")
        }
        return output
    }
}
