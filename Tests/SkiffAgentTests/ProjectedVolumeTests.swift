import FoundationEssentials
import Glibc
import Logging
import SkiffAPI
import SkiffSystem
import Synchronization
import Testing

@testable import SkiffAgent

/// The kube-api-access projected volume on a fake API: what the agent asks for, the files it
/// writes, and the token replaced at 80 % of its life.
@Suite("projected service-account volumes")
struct ProjectedVolumeTests {
    /// Answers the ConfigMap and every TokenRequest (token-1, token-2, …, valid `lifetime`), and
    /// keeps the requests.
    final class FakeAPI: ObjectReader {
        let requests = Mutex<[(path: String, body: JSON)]>([])
        let lifetime: TimeInterval

        init(lifetime: TimeInterval = 3607) { self.lifetime = lifetime }

        func get(_ path: String) async throws -> JSON {
            if path == "/api/v1/namespaces/team/configmaps/kube-root-ca.crt" { return ["data": ["ca.crt": "CA PEM"]] }
            if path == "/api/v1/namespaces/default/services/kubernetes" {
                return ["spec": ["clusterIP": "10.43.0.1", "ports": [["name": "https", "port": 443, "protocol": "TCP"]]]]
            }
            throw APIClientError(code: 404, reason: "NotFound", message: "\(path) not found")
        }

        func create(_ path: String, _ object: JSON) async throws -> JSON {
            let count = requests.withLock {
                $0.append((path, object))
                return $0.count
            }
            let expires = Timestamp.string(Date().addingTimeInterval(lifetime))
            return ["status": ["token": .string("token-\(count)"), "expirationTimestamp": .string(expires)]]
        }
    }

    static let pod: JSON = [
        "metadata": ["name": "web", "namespace": "team", "uid": "pod-uid"],
        "spec": [
            "serviceAccountName": "robot",
            "containers": [["name": "main", "image": "busybox"]],
            "volumes": [
                [
                    "name": "kube-api-access-abcde",
                    "projected": [
                        "defaultMode": 420,
                        "sources": [
                            ["serviceAccountToken": ["expirationSeconds": 3607, "path": "token"]],
                            ["configMap": ["name": "kube-root-ca.crt", "items": [["key": "ca.crt", "path": "ca.crt"]]]],
                            ["downwardAPI": ["items": [["path": "namespace", "fieldRef": ["apiVersion": "v1", "fieldPath": "metadata.namespace"]]]]],
                        ],
                    ],
                ]
            ],
        ],
    ]

    func read(_ path: String) throws -> String { try FileSystem.readString(path) }

    @Test("the volume holds the pod-bound token, ca.crt and namespace (0644), and the token is asked for bound to the pod")
    func writesVolume() async throws {
        let directory = "/tmp/skiff-projected-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileSystem.removeTree(directory) }
        let api = FakeAPI()
        let volumes = VolumeManager(client: api, podsDirectory: directory)
        let paths = try await volumes.prepare(pod: try Pod(json: Self.pod))
        let volume = try #require(paths["kube-api-access-abcde"])
        #expect(try read(volume + "/token") == "token-1")
        #expect(try read(volume + "/ca.crt") == "CA PEM")
        #expect(try read(volume + "/namespace") == "team")
        #expect(try FileSystem.fileMode(volume + "/token", followSymlinks: false) & 0o777 == 0o644)
        let request = try #require(api.requests.withLock { $0.first })
        #expect(request.path == "/api/v1/namespaces/team/serviceaccounts/robot/token")
        #expect(request.body["kind"].string == "TokenRequest")
        #expect(request.body["spec"]["expirationSeconds"].int == 3607)
        #expect(request.body["spec"]["boundObjectRef"] == ["apiVersion": "v1", "kind": "Pod", "name": "web", "uid": "pod-uid"])
        #expect(request.body["spec"]["audiences"].isNull, "no audience: the API's own")
    }

    @Test(
        "a token is reused by a container started again, due for replacement at 80 % of its life; the refresher rewrites it then, and forgets a cleaned-up pod's"
    )
    func refreshesAtEightyPercent() async throws {
        let issued = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(ProjectedTokens.refreshTime(issued: issued, expires: issued.addingTimeInterval(3600)) == issued.addingTimeInterval(2880))
        let directory = "/tmp/skiff-projected-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileSystem.removeTree(directory) }
        let api = FakeAPI(lifetime: 100)
        let volumes = VolumeManager(client: api, podsDirectory: directory)
        let volume = try #require(try await volumes.prepare(pod: try Pod(json: Self.pod))["kube-api-access-abcde"])
        // A container started again before the refresh mounts the same token.
        _ = try await volumes.prepare(pod: try Pod(json: Self.pod))
        #expect(api.requests.withLock { $0.count } == 1)
        let refresher = ProjectedTokenRefresher(volumes: volumes, logger: Logger(label: "test"))
        // At 50 % nothing is due; past 80 % the token is replaced.
        await refresher.refreshDue(now: Date().addingTimeInterval(50))
        #expect(try read(volume + "/token") == "token-1")
        await refresher.refreshDue(now: Date().addingTimeInterval(81))
        #expect(try read(volume + "/token") == "token-2")
        #expect(api.requests.withLock { $0.count } == 2)
        volumes.cleanup(podUID: "pod-uid")
        await refresher.refreshDue(now: Date().addingTimeInterval(1000))
        #expect(api.requests.withLock { $0.count } == 2)
    }

    @Test("every container gets the kubernetes Service's variables, which its own env overrides")
    func kubernetesServiceVariables() async throws {
        let volumes = VolumeManager(client: FakeAPI(), podsDirectory: "/nonexistent")
        let pod = try Pod(json: Self.pod)
        var container = try #require(pod.spec.containers.first)
        let environment = try await EnvironmentResolver(volumes: volumes).resolve(pod: pod, container: container, image: [], podIP: "", hostIP: "")
        for variable in [
            "KUBERNETES_SERVICE_HOST=10.43.0.1", "KUBERNETES_SERVICE_PORT=443", "KUBERNETES_SERVICE_PORT_HTTPS=443",
            "KUBERNETES_PORT=tcp://10.43.0.1:443", "KUBERNETES_PORT_443_TCP=tcp://10.43.0.1:443", "KUBERNETES_PORT_443_TCP_PROTO=tcp",
            "KUBERNETES_PORT_443_TCP_PORT=443", "KUBERNETES_PORT_443_TCP_ADDR=10.43.0.1",
        ] {
            #expect(environment.contains(variable))
        }
        container = try Container(
            json: JSONField(["name": "main", "image": "busybox", "env": [["name": "KUBERNETES_SERVICE_HOST", "value": "127.0.0.1"]]], path: "c"))
        let overridden = try await EnvironmentResolver(volumes: volumes).resolve(pod: pod, container: container, image: [], podIP: "", hostIP: "")
        #expect(overridden.contains("KUBERNETES_SERVICE_HOST=127.0.0.1"))
        #expect(!overridden.contains("KUBERNETES_SERVICE_HOST=10.43.0.1"))
    }
}
