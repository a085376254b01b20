import SkiffAPI
import Testing

@testable import SkiffAgent

@Suite("Image pull policy, events and back-off in the pod worker")
struct ImagePullPolicyTests {
    static func pod(image: String, policy: String? = nil) -> JSON {
        var container: JSON = ["name": "app", "image": .string(image), "command": ["app", "run"]]
        if let policy { container["imagePullPolicy"] = .string(policy) }
        return ["metadata": ["name": "p", "namespace": "default", "uid": "uid-1"], "spec": ["containers": [container]]]
    }

    static func harness(image: String, policy: String?, present: Set<String>, failure: String? = nil) throws -> WorkerHarness {
        let harness = try WorkerHarness(pod: pod(image: image, policy: policy))
        harness.images.state.withLock {
            $0.present = present
            $0.failure = failure
        }
        return harness
    }

    /// True when some status the worker sent had the app container waiting for `reason`.
    static func reported(_ harness: WorkerHarness, _ reason: String) -> Bool {
        harness.status.statuses.contains { status in
            (status["containerStatuses"].array ?? []).contains { $0["state"]["waiting"]["reason"].string == reason }
        }
    }

    @Test("Never with the image absent waits with ErrImageNeverPull and never pulls")
    func neverAbsent() async throws {
        let harness = try Self.harness(image: "r.example/app:1", policy: "Never", present: [])
        defer { harness.cleanUp() }
        try await harness.update(Self.pod(image: "r.example/app:1", policy: "Never"))
        #expect(await harness.eventually { harness.containerState("app") == "waiting:ErrImageNeverPull" })
        #expect(harness.images.pulls.isEmpty)
    }

    @Test("IfNotPresent (the default for a tag other than latest) uses a stored image without pulling")
    func ifNotPresentStored() async throws {
        let harness = try Self.harness(image: "r.example/app:1", policy: nil, present: ["r.example/app:1"])
        defer { harness.cleanUp() }
        try await harness.update(Self.pod(image: "r.example/app:1"))
        #expect(await harness.eventually { harness.containerState("app") == "running" })
        #expect(harness.images.pulls.isEmpty)
        #expect(harness.status.messages.contains("Container image \"r.example/app:1\" already present on machine"))
    }

    @Test("IfNotPresent pulls a missing image once, with Pulling and Pulled events")
    func ifNotPresentMissing() async throws {
        let harness = try Self.harness(image: "r.example/app:1", policy: "IfNotPresent", present: [])
        defer { harness.cleanUp() }
        try await harness.update(Self.pod(image: "r.example/app:1", policy: "IfNotPresent"))
        #expect(await harness.eventually { harness.containerState("app") == "running" })
        #expect(harness.images.pulls == ["r.example/app:1"])
        #expect(harness.status.events.contains("Pulling"))
        #expect(
            harness.status.messages.contains {
                $0.hasPrefix("Successfully pulled image \"r.example/app:1\" in ") && $0.hasSuffix("s. Image size: 1024 bytes.")
            })
    }

    @Test("an untagged image defaults to Always: pulled even though it is stored")
    func alwaysForLatest() async throws {
        let harness = try Self.harness(image: "r.example/app", policy: nil, present: ["r.example/app"])
        defer { harness.cleanUp() }
        try await harness.update(Self.pod(image: "r.example/app"))
        #expect(await harness.eventually { harness.containerState("app") == "running" })
        #expect(harness.images.pulls == ["r.example/app"])
    }

    @Test("Always uses an image imported with skiff image import without asking a registry")
    func alwaysImported() async throws {
        let harness = try Self.harness(image: "busybox", policy: nil, present: ["busybox"])
        harness.images.state.withLock { $0.imported = ["busybox"] }
        defer { harness.cleanUp() }
        try await harness.update(Self.pod(image: "busybox"))
        #expect(await harness.eventually { harness.containerState("app") == "running" })
        #expect(harness.images.pulls.isEmpty)
    }

    @Test("a failing pull is ErrImagePull, then ImagePullBackOff; once the registry answers the container runs")
    func backOff() async throws {
        let harness = try Self.harness(image: "r.example/app:1", policy: nil, present: [], failure: "authentication required")
        defer { harness.cleanUp() }
        try await harness.update(Self.pod(image: "r.example/app:1"))
        #expect(await harness.eventually { Self.reported(harness, "ErrImagePull") && Self.reported(harness, "ImagePullBackOff") })
        #expect(harness.status.events.contains("Failed") && harness.status.events.contains("BackOff"))
        #expect(harness.status.messages.contains { $0.hasPrefix("Failed to pull image \"r.example/app:1\": ") && $0.contains("authentication required") })
        harness.images.state.withLock { $0.failure = nil }
        #expect(await harness.eventually { harness.containerState("app") == "running" })
        #expect(harness.images.pulls.count >= 2)
    }
}
