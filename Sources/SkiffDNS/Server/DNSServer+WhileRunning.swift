extension DNSServer {
    /// Runs `body` with the server listening (it gets the bound port), then stops the server:
    /// for the bench and tests that need a server only for one piece of work.
    public func whileRunning<Result: Sendable>(_ body: @Sendable (Int) async throws -> Result) async throws -> Result {
        try await withThrowingTaskGroup(of: Result?.self) { group in
            group.addTask {
                try await self.run()
                return nil
            }
            let port = try await listeningPort()
            let result = try await body(port)
            group.cancelAll()
            return result
        }
    }
}
