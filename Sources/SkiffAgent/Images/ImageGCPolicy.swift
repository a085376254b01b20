/// The kubelet's image garbage collection policy: `--image-gc-high-threshold`,
/// `--image-gc-low-threshold` (percent of the image filesystem in use) and
/// `--minimum-image-ttl-duration`, plus how often the collector looks (the kubelet's fixed 5 m).
public struct ImageGCPolicy: Sendable, Equatable {
    /// At or above this usage a pass removes images; 100 turns collection off.
    public var highThresholdPercent: Int
    /// What a pass frees down to.
    public var lowThresholdPercent: Int
    /// An image stored more recently than this is never removed (it may be about to be used).
    public var minimumAgeSeconds: Double
    public var periodSeconds: Double

    public init(highThresholdPercent: Int = 85, lowThresholdPercent: Int = 80, minimumAgeSeconds: Double = 120, periodSeconds: Double = 300) {
        self.highThresholdPercent = highThresholdPercent
        self.lowThresholdPercent = lowThresholdPercent
        self.minimumAgeSeconds = minimumAgeSeconds
        self.periodSeconds = periodSeconds
    }

    /// Why the thresholds cannot be used, in the kubelet's words; nil when they can.
    public var problem: String? {
        if !(0...100).contains(highThresholdPercent) { return "invalid HighThresholdPercent \(highThresholdPercent), must be in range [0-100]" }
        if !(0...100).contains(lowThresholdPercent) { return "invalid LowThresholdPercent \(lowThresholdPercent), must be in range [0-100]" }
        if lowThresholdPercent > highThresholdPercent {
            return "LowThresholdPercent \(lowThresholdPercent) can not be higher than HighThresholdPercent \(highThresholdPercent)"
        }
        return nil
    }

    /// The bytes to free to get down to the low threshold, or nil when usage is under the high
    /// one. As the kubelet computes it: usage is 100 − available×100/capacity, in whole percent.
    public func bytesToFree(capacity: Int64, available: Int64) -> Int64? {
        guard capacity > 0, highThresholdPercent < 100 else { return nil }
        let available = min(available, capacity)
        let usagePercent = 100 - Int(available * 100 / capacity)
        guard usagePercent >= highThresholdPercent else { return nil }
        return capacity * Int64(100 - lowThresholdPercent) / 100 - available
    }

    /// The images a pass may remove, in the order it removes them: not in use, stored at least
    /// the minimum age ago, least recently used first (then the earliest stored).
    func removalOrder(_ images: [ImageGCCandidate], now: Double) -> [ImageGCCandidate] {
        images
            .filter { !$0.inUse && now - $0.storedAt >= minimumAgeSeconds }
            .sorted { ($0.lastUsed, $0.storedAt, $0.digest) < ($1.lastUsed, $1.storedAt, $1.digest) }
    }
}

/// One stored image as the collector sees it. Times are seconds since 1970.
struct ImageGCCandidate: Sendable, Equatable {
    /// The manifest digest, which the store deletes by.
    var digest: String
    var name: String
    /// Bytes it holds in the store (unpacked rootfs, plus its blobs when pulled).
    var sizeBytes: Int64
    var storedAt: Double
    var lastUsed: Double
    /// A container of a pod on this node uses it, or a mounted rootfs is made from it.
    var inUse: Bool
}
