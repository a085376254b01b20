import Foundation
import SkiffTestSupport
import Testing

/// Two servers and three embedded etcd members (`--cluster-init` / `--join`, the third
/// `--etcd-only`) on `scripts/cluster` hosts, with real etcd processes over TLS:
/// one member dies during a stream of writes and none acknowledged is lost while writes go on;
/// the leading server dies (kill -9) and the other takes the lease within 15 s and rolls out a
/// Deployment created just after; with two members gone writes fail with a clear 503, and when
/// they return the service does, with every acknowledged write there.
@Suite("HA control plane on embedded etcd (root, multi-host)", .serialized)
struct HAControlPlaneTests {
    /// A 10 s lease (renew 7 s, retry 2 s): a takeover comes at most lease + two retries after
    /// the leader's last renewal, inside the 15 s the issue asks for.
    static let electionFlags = [
        "--leader-elect-lease-duration=10s", "--leader-elect-renew-deadline=7s", "--leader-elect-retry-period=2s",
    ]

    /// Creates ConfigMaps `PREFIX-0`, `PREFIX-1`, … through one server until told to stop; keeps
    /// the names the API acknowledged (kubectl exit 0) and the failures' messages.
    final class Writer: @unchecked Sendable {
        // @unchecked: the lock guards both arrays.
        private let lock = NSLock()
        private var acknowledged: [String] = []
        private var failures: [String] = []
        private var stopped = false

        var acknowledgedNames: [String] { lock.withLock { acknowledged } }
        var failureMessages: [String] { lock.withLock { failures } }
        func stop() { lock.withLock { stopped = true } }

        func run(_ cluster: TestCluster, through host: String, prefix: String) async {
            var index = 0
            while !lock.withLock({ stopped }) {
                let name = "\(prefix)-\(index)"
                index += 1
                let output = try? await cluster.kubectl(
                    on: host, "create", "configmap", name, "--from-literal=n=\(index)", "--request-timeout=20s")
                lock.withLock {
                    if output?.status == 0 {
                        acknowledged.append(name)
                    } else {
                        failures.append("\(name): \(output.map { $0.stderr + $0.stdout } ?? "kubectl did not run")")
                    }
                }
            }
        }
    }

    func configMapNames(_ cluster: TestCluster, on host: String) async throws -> Set<String> {
        let output = try await cluster.kubectl(on: host, "get", "configmaps", "-o", "jsonpath={.items[*].metadata.name}")
        // Thrown, not recorded: polls that expect failures for a while call this under `try?`.
        guard output.status == 0 else { throw Tools.Failure("listing ConfigMaps on \(host) failed: \(output.stderr)") }
        return Set(output.stdout.split(separator: " ").map(String.init))
    }

    func leaseHolder(_ cluster: TestCluster, on host: String) async -> String? {
        let output = try? await cluster.kubectl(
            on: host, "get", "lease", "-n", "kube-system", "skiff-controller-manager", "-o", "jsonpath={.spec.holderIdentity}",
            "--request-timeout=5s")
        guard let output, output.status == 0, !output.stdout.isEmpty else { return nil }
        return output.stdout
    }

    /// Until the member's client port answers on its host, and a few seconds for it to catch up.
    func waitForMember(_ cluster: TestCluster, on host: String) async throws {
        let up = try await until(60) {
            try await cluster.exec(on: host, ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/2379"]).status == 0
        }
        try #require(up, "the etcd member on \(host) did not come back")
        try await Task.sleep(for: .seconds(5))
    }

    func until(_ seconds: Double, _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(250))
        }
        return try await condition()
    }

    @Test(
        "2 servers and 3 etcd members (root, multi-host): a member's loss loses no acknowledged write; the leader's kill -9 hands the lease over within 15 s; two members gone give 503s, and service returns with every write"
    )
    func serversAndMembersSurviveLosses() async throws {
        try await TestCluster.with(nodes: 2, servers: 2, etcdMembers: 3, serverArguments: Self.electionFlags) { cluster in
            #expect(cluster.servers == ["server", "server2", "etcd3"])
            // Both servers serve the same objects: a write through one is read through the other.
            #expect(try await cluster.kubectl(on: "server", "create", "configmap", "seed", "--from-literal=a=b").status == 0)
            #expect(try await configMapNames(cluster, on: "server2").contains("seed"))

            // 1. The etcd-only member dies during a stream of writes through the first server.
            let writer = Writer()
            let writing = Task { await writer.run(cluster, through: "server", prefix: "one") }
            try await Task.sleep(for: .seconds(3))
            try await cluster.killEtcd("etcd3")
            let acknowledgedAtKill = writer.acknowledgedNames.count
            try await Task.sleep(for: .seconds(6))
            writer.stop()
            await writing.value
            let acknowledged = writer.acknowledgedNames
            #expect(acknowledged.count - acknowledgedAtKill >= 5, "writes stopped after one of three members died: \(writer.failureMessages)")
            print(
                "HA: \(acknowledged.count) writes acknowledged, \(acknowledged.count - acknowledgedAtKill) after etcd3's kill -9, \(writer.failureMessages.count) failed"
            )
            let stored = try await configMapNames(cluster, on: "server2")
            let lost = acknowledged.filter { !stored.contains($0) }
            #expect(lost.isEmpty, "acknowledged writes missing after a member's loss: \(lost)")
            try await cluster.startServer("etcd3")
            try await waitForMember(cluster, on: "etcd3")

            // 2. The leader dies; the other server takes the lease within 15 s and rolls out a
            // Deployment created just after.
            let identities = Dictionary(uniqueKeysWithValues: ["server", "server2"].compactMap { host in cluster.identity(ofServer: host).map { ($0, host) } })
            let holder = try #require(await leaseHolder(cluster, on: "server"), "no server holds the controller-manager lease")
            let leader = try #require(identities[holder], "the lease holder \(holder) is neither server (\(identities))")
            let survivor = leader == "server" ? "server2" : "server"
            let killed = Date()
            try await cluster.killServer(leader)
            let tookOver = try await until(30) { await leaseHolder(cluster, on: survivor).flatMap { identities[$0] } == survivor }
            let takeover = Date().timeIntervalSince(killed)
            #expect(tookOver, "\(survivor) did not take the lease")
            #expect(takeover <= 15, "the lease changed hands \(takeover) s after the leader's kill -9")
            print("HA: \(survivor) took the lease \(String(format: "%.1f", takeover)) s after \(leader)'s kill -9")
            let create = try await cluster.kubectl(
                on: survivor, "create", "deployment", "after", "--image=busybox", "--replicas=2", "--", "sleep", "3600")
            #expect(create.status == 0, "creating a Deployment on \(survivor) failed: \(create.stderr)")
            let rolledOut = try await until(90) {
                let status = try await cluster.kubectl(
                    on: survivor, "get", "deployment", "after", "-o", "jsonpath={.status.availableReplicas}")
                return status.stdout == "2"
            }
            #expect(rolledOut, "the Deployment created after the failover was not rolled out")

            // 3. Two of three members gone (the dead leader's, and etcd3's again): writes fail
            // with 503 and say why.
            try await cluster.killEtcd("etcd3")
            // Past etcd's election timeout the lone member knows it has no quorum (check-quorum)
            // and takes no proposal that could commit later.
            try await Task.sleep(for: .seconds(3))
            let refused = try await cluster.kubectl(on: survivor, "create", "configmap", "no-quorum", "--request-timeout=40s")
            #expect(refused.status != 0, "a write was accepted by one member of three")
            #expect(
                refused.stderr.contains("unavailable") || refused.stderr.contains("ServiceUnavailable") || refused.stderr.contains("503"),
                "the refusal does not say the store is unavailable: \(refused.stderr)")

            // 4. Both come back: writes are accepted again and every acknowledged one is there.
            try await cluster.startServer("etcd3")
            try await cluster.startServer(leader)
            let writable = try await until(120) {
                // A create that timed out may have committed: then the name is there.
                if try await cluster.kubectl(on: survivor, "create", "configmap", "after-return", "--request-timeout=10s").status == 0 {
                    return true
                }
                return (try? await configMapNames(cluster, on: survivor))?.contains("after-return") == true
            }
            #expect(writable, "writes were not accepted again after the members returned")
            let final = try await configMapNames(cluster, on: survivor)
            let missing = (acknowledged + ["seed"]).filter { !final.contains($0) }
            #expect(missing.isEmpty, "acknowledged writes missing at the end: \(missing)")
            #expect(!final.contains("no-quorum"), "the write refused without a quorum was stored")
            // The returned leader serves the same objects again.
            #expect(try await until(90) { (try? await configMapNames(cluster, on: leader))?.contains("after-return") == true })
        }
    }
}
