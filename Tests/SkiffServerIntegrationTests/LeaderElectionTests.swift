import Foundation
import SkiffTestSupport
import Testing

/// Two `skiff server` processes on one etcd: both serve the API, one holds the
/// kube-system/skiff-controller-manager Lease and runs the controllers; killed -9, the other
/// takes the lease once it expires and a Deployment created after gets its pods.
@Suite struct LeaderElectionTests {
    static let lease = 4.0
    static let flags = ["--leader-elect-lease-duration=4s", "--leader-elect-renew-deadline=3s", "--leader-elect-retry-period=500ms"]

    func holder(_ server: ServerProcess) async throws -> String {
        try await server.kubectl("get", "lease", "-n", "kube-system", "skiff-controller-manager", "-o", "jsonpath={.spec.holderIdentity}").stdout
    }

    func identity(_ server: ServerProcess) throws -> String {
        try String(contentsOfFile: server.directory + "/server-id", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func pods(_ server: ServerProcess, app: String) async throws -> [String] {
        let output = try await server.kubectl("get", "pods", "-l", "app=\(app)", "-o", "jsonpath={.items[*].metadata.name}")
        return output.stdout.split(separator: " ").map(String.init)
    }

    @Test("of two servers on one etcd one leads; killed -9, the other takes the lease after it expires and runs the controllers")
    func failover() async throws {
        let etcd = try EtcdProcess()
        defer { etcd.stop() }
        let first = try await ServerProcess.start(extraArguments: ["--datastore-endpoint", etcd.endpoint] + Self.flags)
        defer { first.stop() }
        let second = try await ServerProcess.start(extraArguments: ["--datastore-endpoint", etcd.endpoint] + Self.flags)
        defer { second.stop() }
        let held = try await second.kubectl("get", "lease", "-n", "kube-system", "skiff-controller-manager", "-o", "jsonpath={.spec.holderIdentity}") {
            !$0.stdout.isEmpty
        }
        // The first server started first and took the lease; the second waits as a candidate.
        #expect(held.stdout.hasSuffix("_" + (try identity(first))), "\(held.stdout)")

        // Created through the follower, made by the leader's controllers: exactly 3 pods.
        #expect(try await second.kubectl("create", "deployment", "before", "--image=busybox", "--replicas=3").status == 0)
        let made = try await second.kubectl("get", "pods", "-l", "app=before", "-o", "name") { $0.stdout.split(separator: "\n").count == 3 }
        #expect(made.stdout.split(separator: "\n").count == 3, "\(made.stdout)")
        try await Task.sleep(for: .seconds(2))
        #expect(try await pods(second, app: "before").count == 3)

        first.kill9()
        let killed = Date()
        var taken = ""
        while Date().timeIntervalSince(killed) < 30 {
            taken = try await holder(second)
            if taken.hasSuffix("_" + (try identity(second))) { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        let failover = Date().timeIntervalSince(killed)
        #expect(taken.hasSuffix("_" + (try identity(second))), "\(taken)")
        // Not before the lease ran out, and within it plus a few retries (and kubectl's own time on
        // a loaded machine: 4.2 s alone, 8.1 s in a full run).
        #expect(failover >= Self.lease - 1 && failover <= Self.lease + 10, "took over after \(failover) s")
        print("leader election: the second server took the lease \(String(format: "%.1f", failover)) s after the leader was killed")

        #expect(try await second.kubectl("create", "deployment", "after", "--image=busybox", "--replicas=2").status == 0)
        let after = try await second.kubectl("get", "pods", "-l", "app=after", "-o", "name") { $0.stdout.split(separator: "\n").count == 2 }
        #expect(after.stdout.split(separator: "\n").count == 2, "\(after.stdout)")
        #expect(try await pods(second, app: "before").count == 3)

        // Back on its data dir, the first server is a candidate again: the lease stays.
        let restarted = try await ServerProcess.start(directory: first.directory, extraArguments: ["--datastore-endpoint", etcd.endpoint] + Self.flags)
        defer { restarted.stop() }
        try await Task.sleep(for: .seconds(2))
        #expect(try await holder(restarted).hasSuffix("_" + (try identity(second))))
    }
}
