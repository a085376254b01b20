import SkiffAPI
import SkiffAPIServer
import Testing

/// `--max-requests-inflight`: agents past the limit are shed with 429 and Retry-After; the
/// admin never is; a freed slot serves again.
@Suite struct RequestLimitTests {
    @Test("with every slot taken an agent's request is answered 429 with Retry-After 1 and nothing is done; the admin's is served")
    func shedsAgentsOverTheLimit() async throws {
        let test = try await TestAPI()
        var limited = test.api
        limited.requestLimit = RequestLimit(maxInFlight: 1)
        let node = Authenticator.nodeToken(joinToken: TestAPI.joinToken, nodeName: "n1")
        func call(_ method: String, _ path: String, _ body: JSON? = nil, token: String) async -> APIResponse {
            var headers = ["accept": "application/json", "content-type": "application/json"]
            headers["authorization"] = "Bearer \(token)"
            return await limited.handle(APIRequest(method: method, path: path, query: [:], headers: headers, body: body?.bytes ?? []))
        }
        // A request being served holds the only slot.
        #expect(limited.requestLimit.enter())
        let shed = await call("POST", "/api/v1/nodes", ["metadata": ["name": "n1"]], token: node)
        #expect(shed.status == 429)
        #expect(shed.headers.contains { $0.0 == "Retry-After" && $0.1 == "1" })
        let status = try JSON(parsing: shed.bodyBytes)
        #expect(status["reason"] == "TooManyRequests" && status["details"]["retryAfterSeconds"] == 1)
        #expect(try await test.call("GET", "/api/v1/nodes/n1").status == 404)
        #expect(await call("GET", "/api/v1/namespaces", token: TestAPI.adminToken).status == 200)
        limited.requestLimit.leave()
        #expect(await call("POST", "/api/v1/nodes", ["metadata": ["name": "n1"]], token: node).status == 201)
        #expect(limited.requestLimit.current == 0)
    }

    @Test("a limit of 0 sheds nothing")
    func zeroIsUnlimited() {
        let limit = RequestLimit(maxInFlight: 0)
        #expect((0..<1000).allSatisfy { _ in limit.enter() })
        #expect(limit.current == 1000)
    }
}
