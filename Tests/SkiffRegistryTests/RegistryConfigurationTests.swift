import FoundationEssentials
import Testing

@testable import SkiffRegistry

@Suite("Docker config credentials and registry hosts")
struct RegistryConfigurationTests {
    @Test("auth (base64 user:password) wins over username/password; keys as host, URL or Docker Hub's v1 URL")
    func dockerConfig() throws {
        let auth = Data("alice:pa:ss".utf8).base64EncodedString()
        let json = """
            {"auths": {
              "registry.example:5000": {"auth": "\(auth)", "username": "ignored", "password": "ignored"},
              "https://index.docker.io/v1/": {"username": "hub", "password": "hubpw"},
              "http://other.example/path": {"username": "o", "password": "opw"},
              "empty.example": {}
            }}
            """
        let config = try DockerConfig(json: Array(json.utf8))
        #expect(config.credentials(for: "registry.example:5000") == RegistryCredentials(username: "alice", password: "pa:ss"))
        #expect(config.credentials(for: "docker.io") == RegistryCredentials(username: "hub", password: "hubpw"))
        #expect(config.credentials(for: "other.example") == RegistryCredentials(username: "o", password: "opw"))
        #expect(config.credentials(for: "empty.example") == nil)
        #expect(config.credentials(for: "registry.example") == nil)
    }

    @Test("a file that is not a docker config is an error", arguments: ["", "[]", "{\"auths\": 3}"])
    func badConfig(text: String) {
        #expect(throws: RegistryError.self) { try DockerConfig(json: Array(text.utf8)) }
    }

    @Test("--creds splits at the first colon and needs a user")
    func creds() {
        #expect(RegistryCredentials(userColonPassword: "u:p:w") == RegistryCredentials(username: "u", password: "p:w"))
        #expect(RegistryCredentials(userColonPassword: ":pw") == nil)
        #expect(RegistryCredentials(userColonPassword: "nocolon") == nil)
    }

    @Test(
        "loopback registries may use plain HTTP; others only when named insecure",
        arguments: [
            ("localhost:5000", true), ("127.0.0.1", true), ("127.1.2.3:443", true), ("[::1]:5000", true),
            ("registry.example", false), ("128.0.0.1:5000", false), ("127.0.0.1.example:5000", false), ("insecure.example:80", true),
        ])
    func insecure(domain: String, expected: Bool) {
        let hosts = RegistryHosts(certificatesDirectory: nil, insecure: ["insecure.example:80"])
        #expect(hosts.isInsecure(domain) == expected)
    }

    @Test("Docker Hub's images are served by registry-1.docker.io")
    func endpoint() {
        #expect(RegistryHosts().endpoint(for: "docker.io") == "registry-1.docker.io")
        #expect(RegistryHosts().endpoint(for: "quay.io") == "quay.io")
    }
}
