import Foundation
import SkiffTestSupport
import Testing

/// Two `skiff server` processes on one etcd: the `default/kubernetes` Service's endpoints list
/// both; a server stopped gracefully leaves them at once, one killed -9 once its record expires
/// (15 s, checked every 10 s).
@Suite struct KubernetesEndpointsHATests {
    /// `kubectl get endpoints kubernetes` until its ENDPOINTS column is `expected` (in any order).
    func endpoints(_ server: ServerProcess, are expected: Set<String>, within seconds: TimeInterval) async throws -> (Set<String>, TimeInterval) {
        let start = Date()
        var listed: Set<String> = []
        while Date().timeIntervalSince(start) < seconds {
            let output = try await server.kubectl("get", "endpoints", "kubernetes", "--no-headers")
            let column = output.stdout.split(whereSeparator: \.isWhitespace).dropFirst().first.map(String.init) ?? ""
            listed = Set(column.split(separator: ",").map(String.init))
            if listed == expected { break }
            try await Task.sleep(for: .milliseconds(250))
        }
        return (listed, Date().timeIntervalSince(start))
    }

    @Test("the kubernetes Service's endpoints list both servers; one stopped leaves at once, one killed -9 drops out after its record expires")
    func listsLiveServers() async throws {
        let etcd = try EtcdProcess()
        defer { etcd.stop() }
        let first = try await ServerProcess.start(extraArguments: ["--datastore-endpoint", etcd.endpoint])
        defer { first.stop() }
        let second = try await ServerProcess.startJoining(first, extraArguments: ["--datastore-endpoint", etcd.endpoint])
        let one = "127.0.0.1:\(try first.port)"
        let two = "127.0.0.1:\(try second.port)"

        let (both, _) = try await endpoints(first, are: [one, two], within: 20)
        #expect(both == [one, two])
        let slices = try await second.kubectl(
            "get", "endpointslices", "-l", "kubernetes.io/service-name=kubernetes", "-o", "jsonpath={.items[*].ports[*].port}")
        #expect(Set(slices.stdout.split(separator: " ").map(String.init)) == [String(try first.port), String(try second.port)], "\(slices.stdout)")

        // Stopped gracefully, the second server deletes its record and rewrites the endpoints.
        second.stop(removeDirectory: false)
        let (afterStop, stopTook) = try await endpoints(first, are: [one], within: 20)
        #expect(afterStop == [one])
        // Well inside the 15 s a record lives (a killed server's takes 15 s or more): a CI run
        // under load took 6.3 s here.
        #expect(stopTook < 10, "the stopped server was listed \(stopTook) s longer")

        // Back on its data dir (a new port), it is listed again; killed -9, its record expires.
        let restarted = try await ServerProcess.start(directory: second.directory, extraArguments: ["--datastore-endpoint", etcd.endpoint])
        defer { restarted.stop() }
        let three = "127.0.0.1:\(try restarted.port)"
        let (again, _) = try await endpoints(first, are: [one, three], within: 20)
        #expect(again == [one, three])
        restarted.kill9()
        let (afterKill, killTook) = try await endpoints(first, are: [one], within: 45)
        #expect(afterKill == [one])
        // Its last renewal was at most 10 s before the kill; it expires 15 s after that, and the
        // first server notices at its next round (10 s): not before 5 s, within 25 s and kubectl's time.
        #expect(killTook >= 4 && killTook <= 30, "the killed server was listed \(killTook) s longer")
        print(
            "kubernetes endpoints: a stopped server left after \(String(format: "%.1f", stopTook)) s, a killed one after \(String(format: "%.1f", killTook)) s")
        #expect(
            try await first.kubectl("get", "lease", "-n", "kube-system", "-l", "apiserver.kubernetes.io/identity", "-o", "name").stdout.split(separator: "\n")
                .count == 1)
    }
}
