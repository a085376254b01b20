/// Holds benchmark clients until all of them are connected, so the timed requests overlap.
actor BenchStartLine {
    let parties: Int
    var waiting: [CheckedContinuation<Void, Never>] = []
    private(set) var releasedAt: ContinuousClock.Instant?

    init(parties: Int) { self.parties = parties }

    func arrive() async {
        if waiting.count + 1 == parties {
            releasedAt = ContinuousClock.now
            for continuation in waiting { continuation.resume() }
            waiting.removeAll()
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }
}
