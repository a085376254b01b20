import SkiffAPI
import SkiffAPIServer
import Testing

/// The DefaultTolerationSeconds admission: a pod created (or replaced) without its own
/// tolerations for the not-ready and unreachable NoExecute taints gets them for 300 s.
@Suite struct DefaultTolerationSecondsTests {
    let pods = "/api/v1/namespaces/default/pods"

    func tolerations(_ pod: JSON) -> [Toleration] { (pod["spec"]["tolerations"].array ?? []).map(Toleration.init) }

    @Test("a new pod gets not-ready and unreachable NoExecute tolerations for 300 s; its own are kept, and one already matching is not doubled")
    func defaults() async throws {
        let api = try await TestAPI()
        let plain = try await api.call("POST", pods, TestAPI.pod("plain"))
        #expect(plain.status == 201)
        #expect(
            tolerations(plain.body) == [
                Toleration(key: Taint.notReadyKey, op: "Exists", effect: "NoExecute", tolerationSeconds: 300),
                Toleration(key: Taint.unreachableKey, op: "Exists", effect: "NoExecute", tolerationSeconds: 300),
            ])
        var own = TestAPI.pod("own")
        own["spec"]["tolerations"] = [
            ["key": .string(Taint.unreachableKey), "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 5],
            ["key": "dedicated", "operator": "Equal", "value": "gpu", "effect": "NoSchedule"],
        ]
        let created = try await api.call("POST", pods, own)
        #expect(created.status == 201)
        #expect(
            tolerations(created.body) == [
                Toleration(key: Taint.unreachableKey, op: "Exists", effect: "NoExecute", tolerationSeconds: 5),
                Toleration(key: "dedicated", value: "gpu", effect: "NoSchedule"),
                Toleration(key: Taint.notReadyKey, op: "Exists", effect: "NoExecute", tolerationSeconds: 300),
            ])
        var everything = TestAPI.pod("everything")
        everything["spec"]["tolerations"] = [["operator": "Exists"]]
        #expect(tolerations(try await api.call("POST", pods, everything).body) == [Toleration(key: "", op: "Exists", effect: "")])
    }

    @Test("a PUT that leaves the defaulted tolerations out keeps them instead of failing as a removal")
    func replaceKeepsThem() async throws {
        let api = try await TestAPI()
        let created = try await api.call("POST", pods, TestAPI.pod("web"))
        var replacement = created.body
        replacement["spec"]["tolerations"] = .null
        replacement["spec"]["containers"][0]["image"] = "busybox:1.37"
        let replaced = try await api.call("PUT", "\(pods)/web", replacement)
        #expect(replaced.status == 200, "\(replaced.body)")
        #expect(tolerations(replaced.body).count == 2)
    }
}
