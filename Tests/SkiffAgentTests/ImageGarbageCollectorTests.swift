import FoundationEssentials
import Logging
import Synchronization
import Testing

@testable import SkiffAgent

/// An image filesystem of `capacity` bytes whose images the test lays out; removing one frees
/// its size, removing unreferenced blobs frees `looseBlobBytes`.
final class FakeImageGCHost: ImageGCHost {
    struct State {
        var capacity: Int64
        var available: Int64
        var images: [ImageGCCandidate]
        var looseBlobBytes: Int64 = 0
        var removed: [String] = []
        var failing: Set<String> = []
        var warnings: [String] = []
    }

    let state: Mutex<State>

    init(capacity: Int64, available: Int64, images: [ImageGCCandidate]) {
        state = Mutex(State(capacity: capacity, available: available, images: images))
    }

    var removed: [String] { state.withLock { $0.removed } }
    var warnings: [String] { state.withLock { $0.warnings } }
    var remaining: [String] { state.withLock { $0.images.map(\.digest) } }

    func usage() async -> (capacity: Int64, available: Int64)? { state.withLock { ($0.capacity, $0.available) } }

    func images() async -> [ImageGCCandidate] { state.withLock { $0.images } }

    struct Refused: Error {}

    func remove(digest: String) async throws -> Int64 {
        try state.withLock { state in
            guard !state.failing.contains(digest), let index = state.images.firstIndex(where: { $0.digest == digest }) else { throw Refused() }
            let image = state.images.remove(at: index)
            state.removed.append(digest)
            state.available += image.sizeBytes
            return image.sizeBytes
        }
    }

    func removeUnreferencedBlobs() async -> Int64 {
        state.withLock { state in
            defer { state.looseBlobBytes = 0 }
            state.available += state.looseBlobBytes
            return state.looseBlobBytes
        }
    }

    func warn(reason: String, message: String) { state.withLock { $0.warnings.append("\(reason): \(message)") } }
}

@Suite("Image garbage collection policy (the kubelet's thresholds)")
struct ImageGarbageCollectorTests {
    static let mebibyte: Int64 = 1 << 20
    /// "Now" for every pass: stored and last-used times are seconds before it.
    static let now = Date(timeIntervalSince1970: 100_000)

    static func image(_ digest: String, mebibytes: Int64, storedAgo: Double = 3600, lastUsedAgo: Double? = nil, inUse: Bool = false) -> ImageGCCandidate {
        ImageGCCandidate(
            digest: digest, name: "example.com/\(digest):1", sizeBytes: mebibytes * mebibyte, storedAt: now.timeIntervalSince1970 - storedAgo,
            lastUsed: now.timeIntervalSince1970 - (lastUsedAgo ?? storedAgo), inUse: inUse)
    }

    static func collector(_ host: FakeImageGCHost, high: Int = 85, low: Int = 80, minimumAge: Double = 120) -> ImageGarbageCollector {
        ImageGarbageCollector(
            policy: ImageGCPolicy(highThresholdPercent: high, lowThresholdPercent: low, minimumAgeSeconds: minimumAge, periodSeconds: 1),
            host: host, logger: Logger(label: "test"))
    }

    @Test(
        "usage is 100 − available×100/capacity in whole percent; at the high threshold it frees down to the low one",
        arguments: [
            (Int64(16), Int64?.none),  // 84 % used: under 85 %
            (Int64(15), Int64?.some(5)),  // 85 % used: free 20 − 15
            (Int64(2), Int64?.some(18)),
        ])
    func thresholds(availablePercentOfHundred: Int64, expected: Int64?) {
        let policy = ImageGCPolicy()
        #expect(policy.bytesToFree(capacity: 100, available: availablePercentOfHundred) == expected)
        #expect(ImageGCPolicy(highThresholdPercent: 100, lowThresholdPercent: 80).bytesToFree(capacity: 100, available: 0) == nil, "100 turns it off")
        #expect(policy.bytesToFree(capacity: 0, available: 0) == nil)
    }

    @Test("the kubelet's checks of the thresholds")
    func validation() {
        #expect(ImageGCPolicy().problem == nil)
        #expect(ImageGCPolicy(highThresholdPercent: 101, lowThresholdPercent: 80).problem == "invalid HighThresholdPercent 101, must be in range [0-100]")
        #expect(
            ImageGCPolicy(highThresholdPercent: 70, lowThresholdPercent: 80).problem == "LowThresholdPercent 80 can not be higher than HighThresholdPercent 70")
    }

    @Test("over the high threshold: unused images go least recently used first until enough is freed; used and newer ones stay")
    func removesLeastRecentlyUsedFirst() async {
        // 1,000 MiB, 100 available (90 % used): free 200 − 100 = 100 MiB to get to 80 %.
        let host = FakeImageGCHost(
            capacity: 1000 * Self.mebibyte, available: 100 * Self.mebibyte,
            images: [
                Self.image("stored-first-used-late", mebibytes: 60, storedAgo: 9000, lastUsedAgo: 100),
                Self.image("used-long-ago", mebibytes: 60, storedAgo: 5000, lastUsedAgo: 4000),
                Self.image("running", mebibytes: 500, storedAgo: 10000, inUse: true),
                Self.image("never-used", mebibytes: 60, storedAgo: 3000),
                Self.image("just-pulled", mebibytes: 60, storedAgo: 30),
            ])
        let pass = await Self.collector(host).collect(now: Self.now)
        #expect(pass.bytesToFree == 100 * Self.mebibyte)
        #expect(host.removed == ["used-long-ago", "never-used"], "oldest last use first, and only until 100 MiB were freed")
        #expect(pass.freedBytes == 120 * Self.mebibyte)
        #expect(host.warnings.isEmpty)
        #expect(host.remaining.contains("running") && host.remaining.contains("just-pulled") && host.remaining.contains("stored-first-used-late"))
    }

    @Test("under the high threshold nothing is removed")
    func underHighThreshold() async {
        let host = FakeImageGCHost(capacity: 1000 * Self.mebibyte, available: 160 * Self.mebibyte, images: [Self.image("old", mebibytes: 100)])
        let pass = await Self.collector(host).collect(now: Self.now)
        #expect(pass.bytesToFree == nil && host.removed.isEmpty && host.warnings.isEmpty)
    }

    @Test("unreferenced blobs count first: when they free enough no image goes")
    func blobsFirst() async {
        let host = FakeImageGCHost(capacity: 1000 * Self.mebibyte, available: 100 * Self.mebibyte, images: [Self.image("old", mebibytes: 100)])
        host.state.withLock { $0.looseBlobBytes = 150 * Self.mebibyte }
        let pass = await Self.collector(host).collect(now: Self.now)
        #expect(pass.freedBytes == 150 * Self.mebibyte)
        #expect(host.removed.isEmpty)
    }

    @Test("images in use are never removed, even when that leaves too little: FreeDiskSpaceFailed with the kubelet's message")
    func inUseNeverRemoved() async {
        let host = FakeImageGCHost(
            capacity: 1000 * Self.mebibyte, available: 0,
            images: [
                Self.image("a", mebibytes: 300, storedAgo: 9000, inUse: true), Self.image("b", mebibytes: 300, storedAgo: 8000, inUse: true),
                Self.image("c", mebibytes: 50, storedAgo: 7000), Self.image("failing", mebibytes: 50, storedAgo: 7500),
            ])
        host.state.withLock { $0.failing = ["failing"] }
        let pass = await Self.collector(host).collect(now: Self.now)
        #expect(host.removed == ["c"], "a failed removal is skipped, in-use images never touched")
        #expect(pass.freedBytes == 50 * Self.mebibyte)
        #expect(
            host.warnings == [
                "FreeDiskSpaceFailed: Failed to garbage collect required amount of images. Attempted to free \(200 * Self.mebibyte) bytes, but only found \(50 * Self.mebibyte) bytes eligible to free."
            ])
    }

    @Test("an image younger than --minimum-image-ttl-duration stays; with 0 it may go")
    func minimumAge() async {
        let images = [Self.image("fresh", mebibytes: 300, storedAgo: 60)]
        let host = FakeImageGCHost(capacity: 1000 * Self.mebibyte, available: 100 * Self.mebibyte, images: images)
        await Self.collector(host).collect(now: Self.now)
        #expect(host.removed.isEmpty)
        #expect(host.warnings.count == 1)
        let anyAge = FakeImageGCHost(capacity: 1000 * Self.mebibyte, available: 100 * Self.mebibyte, images: images)
        await Self.collector(anyAge, minimumAge: 0).collect(now: Self.now)
        #expect(anyAge.removed == ["fresh"])
    }

    @Test("a file system reporting capacity 0 gets the kubelet's InvalidDiskCapacity warning and nothing is removed")
    func zeroCapacity() async {
        let host = FakeImageGCHost(capacity: 0, available: 0, images: [Self.image("old", mebibytes: 1)])
        await Self.collector(host).collect(now: Self.now)
        #expect(host.removed.isEmpty)
        #expect(host.warnings == ["InvalidDiskCapacity: invalid capacity 0 on image filesystem"])
    }
}
