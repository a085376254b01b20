import Testing

@testable import SkiffRegistry

@Suite("WWW-Authenticate parsing")
struct AuthChallengeTests {
    @Test("a bearer challenge gives its realm, service and scope")
    func bearer() {
        let challenges = AuthChallenge.parse(
            #"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull""#)
        #expect(
            challenges == [
                AuthChallenge(
                    scheme: "bearer",
                    parameters: [
                        "realm": "https://auth.docker.io/token", "service": "registry.docker.io", "scope": "repository:library/busybox:pull",
                    ])
            ])
    }

    @Test("a basic challenge, unquoted values, escapes and several challenges in one header")
    func several() {
        let challenges = AuthChallenge.parse(#"Basic realm="Registry \"Realm\"", Bearer realm=https://t.example/token , service = reg"#)
        #expect(challenges.map(\.scheme) == ["basic", "bearer"])
        #expect(challenges[0].parameters["realm"] == #"Registry "Realm""#)
        #expect(challenges[1].parameters == ["realm": "https://t.example/token", "service": "reg"])
    }

    @Test("garbage never traps and yields no usable parameters", arguments: ["", ",,,", "=\"", "\"unterminated", "Bearer realm=\"x"])
    func garbage(header: String) {
        let challenges = AuthChallenge.parse(header)
        #expect(challenges.allSatisfy { $0.parameters["realm"] == nil || $0.parameters["realm"] == "x" })
    }
}
