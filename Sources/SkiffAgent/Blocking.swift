import Dispatch

/// Runs blocking work (waitpid, a CNI plugin, skiff-runc, a probe's socket) on Dispatch's
/// thread pool, which grows as needed, so the two-thread cooperative pool never stalls on it.
func blocking<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async {
            continuation.resume(with: Result { try work() })
        }
    }
}

/// `blocking` for work that cannot fail.
func blocking<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(returning: work()) }
    }
}
