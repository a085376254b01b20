import Foundation
import SkiffTestSupport
import Testing

@Suite("skiff agent pulls images from a registry (root)", .serialized)
struct ImagePullTests {
    static func containerStatus(_ pod: [String: Any]) -> [String: Any] {
        ((pod["status"] as? [String: Any])?["containerStatuses"] as? [[String: Any]])?.first ?? [:]
    }

    static func waiting(_ pod: [String: Any]) -> [String: Any]? {
        (containerStatus(pod)["state"] as? [String: Any])?["waiting"] as? [String: Any]
    }

    static func pod(_ name: String, image: String, secret: String?) -> String {
        """
        apiVersion: v1
        kind: Pod
        metadata: {name: \(name)}
        spec:
          \(secret.map { "imagePullSecrets: [{name: \($0)}]" } ?? "")
          containers:
          - name: c
            image: \(image)
            command: ["/bin/sh", "-c", "echo hello from \(name); sleep 3600"]
        ---

        """
    }

    @Test(
        "a registry with TLS and htpasswd: two pods with the pull secret share one download of each blob and run, a multi-platform index resolves to amd64, a changed :latest is pulled again; without it ErrImagePull then ImagePullBackOff; a corrupt blob is refused (root)"
    )
    func pullFromRegistry() async throws {
        let registry = try await TestRegistry.start(
            in: NSTemporaryDirectory() + "skiff-registry-\(UUID().uuidString)", busyboxLayout: AgentCluster.busyboxLayout)
        defer { registry.stop() }
        try await AgentCluster.with(name: "imgpull", clusterCIDRBlock: 10, agentArguments: ["--registry-certs-dir", registry.certificates]) { cluster in
            let secret = try await cluster.kubectl(
                "create", "secret", "docker-registry", "regcred", "--docker-server=\(registry.host)",
                "--docker-username=\(TestRegistry.username)", "--docker-password=\(TestRegistry.password)")
            #expect(secret.status == 0, "\(secret.stderr)")

            let image = "\(registry.host)/team/busybox:1.0"
            let applied = try await cluster.kubectl(
                "apply", "-f", "-", input: Self.pod("a", image: image, secret: "regcred") + Self.pod("b", image: image, secret: "regcred"))
            #expect(applied.status == 0, "\(applied.stderr)")
            for name in ["a", "b"] {
                let pod = try await cluster.waitForPod(name, timeout: 120) { (Self.containerStatus($0)["state"] as? [String: Any])?["running"] != nil }
                let imageID = Self.containerStatus(pod)["imageID"] as? String ?? ""
                #expect(imageID.hasPrefix("\(registry.host)/team/busybox@sha256:"), "imageID \(imageID)")
                let logs = try await cluster.kubectl("logs", name)
                #expect(logs.stdout == "hello from \(name)\n")
            }
            // The multi-platform index resolves to the same amd64 manifest: nothing new to download.
            let multi = try await cluster.kubectl(
                "apply", "-f", "-", input: Self.pod("multi", image: "\(registry.host)/team/busybox:multi", secret: "regcred"))
            #expect(multi.status == 0, "\(multi.stderr)")
            let multiPod = try await cluster.waitForPod("multi", timeout: 60) { (Self.containerStatus($0)["state"] as? [String: Any])?["running"] != nil }
            let podA = try await cluster.pod("a")
            let amd64Digest = (Self.containerStatus(podA)["imageID"] as? String)?.split(separator: "@").last
            #expect(amd64Digest != nil && (Self.containerStatus(multiPod)["imageID"] as? String)?.split(separator: "@").last == amd64Digest)

            let downloads = registry.blobDownloads()
            #expect(downloads.count == 2, "amd64's config and its one layer, never arm64's config: \(downloads)")
            #expect(downloads.values.allSatisfy { $0 == 1 }, "each blob downloaded once: \(downloads)")
            let events = try await cluster.kubectl("get", "events", "-o", "jsonpath={range .items[*]}{.reason}: {.message}{\"\\n\"}{end}")
            #expect(events.stdout.contains("Pulling: Pulling image \"\(image)\""), "\(events.stdout)")
            #expect(events.stdout.contains("Pulled: Successfully pulled image \"\(image)\" in "), "\(events.stdout)")
            #expect(events.stdout.contains(" Image size: "), "\(events.stdout)")

            // :latest means Always: a pod started after :latest changed runs the new image.
            let latest = "\(registry.host)/team/busybox:latest"
            #expect(try await cluster.kubectl("apply", "-f", "-", input: Self.pod("latest1", image: latest, secret: "regcred")).status == 0)
            let before = try await cluster.waitForPod("latest1", timeout: 60) { (Self.containerStatus($0)["state"] as? [String: Any])?["running"] != nil }
            try await registry.pushChangedLatest(busyboxLayout: AgentCluster.busyboxLayout)
            #expect(try await cluster.kubectl("apply", "-f", "-", input: Self.pod("latest2", image: latest, secret: "regcred")).status == 0)
            let after = try await cluster.waitForPod("latest2", timeout: 60) { (Self.containerStatus($0)["state"] as? [String: Any])?["running"] != nil }
            let beforeID = Self.containerStatus(before)["imageID"] as? String ?? ""
            let afterID = Self.containerStatus(after)["imageID"] as? String ?? ""
            #expect(!beforeID.isEmpty && !afterID.isEmpty && beforeID != afterID, "\(beforeID) then \(afterID)")
            let changed = try await cluster.kubectl("exec", "latest2", "--", "/bin/sh", "-c", "echo $CHANGED")
            #expect(changed.stdout == "1\n", "\(changed.stdout) \(changed.stderr)")

            // Without credentials the registry refuses.
            let denied = try await cluster.kubectl("apply", "-f", "-", input: Self.pod("nosecret", image: "\(registry.host)/team/busybox:latest", secret: nil))
            #expect(denied.status == 0, "\(denied.stderr)")
            let backingOff = try await cluster.waitForPod("nosecret", timeout: 60) { Self.waiting($0)?["reason"] as? String == "ImagePullBackOff" }
            let message = Self.waiting(backingOff)?["message"] as? String ?? ""
            #expect(message.contains("authentication required"), "\(message)")
            let deniedEvents = try await cluster.kubectl(
                "get", "events", "--field-selector", "involvedObject.name=nosecret", "-o", "jsonpath={range .items[*]}{.reason}: {.message}{\"\\n\"}{end}")
            #expect(deniedEvents.stdout.contains("Failed: Failed to pull image"), "\(deniedEvents.stdout)")
            #expect(deniedEvents.stdout.contains("BackOff: Back-off pulling image"), "\(deniedEvents.stdout)")

            // A blob the registry serves with content that is not its digest is never stored.
            guard let layer = downloads.keys.max(by: { a, b in registry.blobSize(a) < registry.blobSize(b) }) else { return }
            let data = registry.blobDataPath(layer)
            var bytes = try Data(contentsOf: URL(fileURLWithPath: data))
            bytes[bytes.count / 2] ^= 0xff
            try bytes.write(to: URL(fileURLWithPath: data))
            let fresh = cluster.directory + "/fresh-store"
            let pull = try await Tools.run(
                try Tools.skiffBinary(),
                [
                    "image", "pull", image, "--creds", "\(TestRegistry.username):\(TestRegistry.password)", "--certs-dir", registry.certificates,
                    "--data-dir", fresh,
                ])
            #expect(pull.status != 0)
            #expect(pull.stderr.contains("hashes to"), "\(pull.stdout) \(pull.stderr)")
            let stored = (try? FileManager.default.contentsOfDirectory(atPath: fresh + "/images/blobs/sha256")) ?? []
            #expect(!stored.contains(String(layer.dropFirst(7))), "the corrupt layer must not be stored: \(stored)")
            #expect(((try? FileManager.default.contentsOfDirectory(atPath: fresh + "/images/blobs/partial")) ?? []).isEmpty)
            #expect(((try? FileManager.default.contentsOfDirectory(atPath: fresh + "/images/images")) ?? []).isEmpty)
        }
    }
}
