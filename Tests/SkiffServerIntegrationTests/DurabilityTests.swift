import Foundation
import SkiffTestSupport
import Testing

/// kill -9 of the server in the middle of a stream of writes.
@Suite struct DurabilityTests {
    static let writer = #"""
        import sys
        from kubernetes import client, config
        config.load_kube_config(config_file=sys.argv[1])
        v1 = client.CoreV1Api()
        with open(sys.argv[2], "a") as acked:
            for i in range(100000):
                try:
                    cm = v1.create_namespaced_config_map("default", client.V1ConfigMap(
                        metadata=client.V1ObjectMeta(name="cm-%d" % i), data={"i": str(i)}))
                except Exception:
                    break
                acked.write("%s %s\n" % (cm.metadata.name, cm.metadata.resource_version))
                acked.flush()
        """#

    static let watcher = #"""
        import sys
        from kubernetes import client, config, watch
        config.load_kube_config(config_file=sys.argv[1])
        v1 = client.CoreV1Api()
        w = watch.Watch()
        for event in w.stream(v1.list_namespaced_config_map, "default", resource_version=sys.argv[2], timeout_seconds=3):
            print(event["type"], event["object"].metadata.name, event["object"].metadata.resource_version, flush=True)
        """#

    @Test func killNineLosesNoAcknowledgedWriteAndWatchResumesWithoutGap() async throws {
        var server = try await ServerProcess.start()
        let directory = server.directory
        defer { server.stop() }
        let python = try #require(Tools.which("python3"))
        try Self.writer.write(toFile: directory + "/writer.py", atomically: true, encoding: .utf8)
        try Self.watcher.write(toFile: directory + "/watcher.py", atomically: true, encoding: .utf8)
        let writer = Process()
        writer.executableURL = URL(fileURLWithPath: python)
        writer.arguments = [directory + "/writer.py", server.kubeconfig, directory + "/acked.txt"]
        writer.standardOutput = FileHandle.nullDevice
        writer.standardError = FileHandle.nullDevice
        try writer.run()
        // Kill once a good number of writes were acknowledged (python's import alone takes ~1 s).
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let lines = ((try? String(contentsOfFile: directory + "/acked.txt", encoding: .utf8)) ?? "").split(separator: "\n").count
            if lines >= 100 || !writer.isRunning { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        server.kill9()
        writer.waitUntilExit()
        let acked = try String(contentsOfFile: directory + "/acked.txt", encoding: .utf8)
            .split(separator: "\n").map { $0.split(separator: " ").map(String.init) }.filter { $0.count == 2 }
        try #require(acked.count >= 100, "too few writes before the kill to be meaningful: \(acked.count)")

        server = try await ServerProcess.start(directory: directory)
        let names = Set(
            try await server.kubectl("get", "configmaps", "-o", "name").stdout.split(separator: "\n").map { String($0.dropFirst("configmap/".count)) })
        let missing = acked.map { $0[0] }.filter { !names.contains($0) }
        #expect(missing.isEmpty, "acknowledged writes lost after kill -9: \(missing)")

        // A watcher that had seen up to the middle of the stream resumes from there.
        let middle = acked[acked.count / 2]
        let resumed = try await Tools.run(python, [directory + "/watcher.py", server.kubeconfig, middle[1]], timeout: 30)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let events = resumed.stdout.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        let seen = events.filter { $0[0] == "ADDED" }.map { $0[1] }
        let expected = acked.filter { (Int64($0[1]) ?? 0) > (Int64(middle[1]) ?? 0) }.map { $0[0] }
        #expect(Set(expected).isSubset(of: Set(seen)), "gap after resuming: missing \(Set(expected).subtracting(seen))")
        let versions = events.compactMap { Int64($0[2]) }
        #expect(versions == versions.sorted() && Set(versions).count == versions.count)
        #expect(!seen.contains(middle[0]))
    }
}
