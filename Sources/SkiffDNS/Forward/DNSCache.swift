import Synchronization

/// Upstream answers kept for their TTL (RFC 1035 §3.2.1 / RFC 2308): positive answers for the
/// smallest TTL among their answer records (capped), NXDOMAIN and NODATA for the SOA's
/// minimum (capped lower). Failures are not kept, so a recovered upstream is seen at once.
/// Served copies have their TTLs counted down by the time spent in the cache.
public final class DNSCache: Sendable {
    public struct Limits: Sendable {
        public var maxEntries: Int
        public var maxTTL: UInt32
        public var maxNegativeTTL: UInt32

        public init(maxEntries: Int = 10_000, maxTTL: UInt32 = 300, maxNegativeTTL: UInt32 = 30) {
            self.maxEntries = maxEntries
            self.maxTTL = maxTTL
            self.maxNegativeTTL = maxNegativeTTL
        }
    }

    struct Key: Hashable {
        let name: String
        let type: UInt16
        let questionClass: UInt16
        let checkingDisabled: Bool

        init(_ question: DNSQuestion, checkingDisabled: Bool) {
            name = question.name.key
            type = question.type.rawValue
            questionClass = question.questionClass
            self.checkingDisabled = checkingDisabled
        }
    }

    struct Entry {
        let response: DNSMessage
        let stored: ContinuousClock.Instant
        let expires: ContinuousClock.Instant
    }

    public let limits: Limits
    private let entries = Mutex<[Key: Entry]>([:])

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    public var count: Int { entries.withLock { $0.count } }

    /// The cached response with TTLs reduced by its age, or nil when absent or expired.
    public func lookup(_ question: DNSQuestion, checkingDisabled: Bool = false, now: ContinuousClock.Instant = .now) -> DNSMessage? {
        let key = Key(question, checkingDisabled: checkingDisabled)
        guard let entry = entries.withLock({ $0[key] }) else { return nil }
        guard now < entry.expires else {
            entries.withLock { if let current = $0[key], current.expires <= now { $0[key] = nil } }
            return nil
        }
        let age = UInt32(clamping: (now - entry.stored).components.seconds)
        var response = entry.response
        DNSCache.age(&response.answers, by: age)
        DNSCache.age(&response.authority, by: age)
        DNSCache.age(&response.additional, by: age)
        return response
    }

    /// Keeps `response` to `question` if its kind and TTLs allow; returns the TTL used (nil: not kept).
    @discardableResult
    public func store(_ response: DNSMessage, for question: DNSQuestion, checkingDisabled: Bool = false, now: ContinuousClock.Instant = .now) -> UInt32? {
        guard !response.isTruncated, let ttl = cacheTTL(of: response), ttl > 0 else { return nil }
        var kept = response
        // OPT is per hop: the server adds its own to each answer.
        kept.additional.removeAll { $0.type == .opt }
        let entry = Entry(response: kept, stored: now, expires: now + .seconds(Int(ttl)))
        let key = Key(question, checkingDisabled: checkingDisabled)
        let limit = limits.maxEntries
        entries.withLock { entries in
            if entries.count >= limit, entries[key] == nil {
                entries = entries.filter { $0.value.expires > now }
                // Still full of live entries: forget an arbitrary tenth rather than track recency.
                if entries.count >= limit {
                    for evicted in entries.keys.prefix(max(1, limit / 10)) { entries[evicted] = nil }
                }
            }
            entries[key] = entry
        }
        return ttl
    }

    func cacheTTL(of response: DNSMessage) -> UInt32? {
        switch response.responseCode {
        case .noError where !response.answers.isEmpty:
            guard let smallest = response.answers.map(\.ttl).min() else { return nil }
            return min(smallest, limits.maxTTL)
        case .noError, .nameError:
            // RFC 2308 §5: the negative TTL is the SOA's TTL or its minimum, whichever is smaller.
            for record in response.authority {
                if case .soa(let soa) = record.data { return min(record.ttl, soa.minimum, limits.maxNegativeTTL) }
            }
            return nil
        default:
            return nil
        }
    }

    private static func age(_ records: inout [DNSResourceRecord], by seconds: UInt32) {
        for index in records.indices { records[index].ttl = records[index].ttl > seconds ? records[index].ttl - seconds : 0 }
    }
}
