import SkiffAPI
import Testing

/// The serviceaccounts controller and the root-ca-cert-publisher on the real API through the
/// in-process client: every active namespace gets a `default` ServiceAccount and a
/// `kube-root-ca.crt` ConfigMap, put back when deleted or changed.
@Suite struct ServiceAccountControllersTests {
    @Test("a new namespace gets a default ServiceAccount and kube-root-ca.crt; both come back when deleted")
    func newNamespaceGetsAccountAndCA() async throws {
        let api = try await ControllerHarness.start(serviceAccounts: true)
        #expect(try await api.call("POST", "/api/v1/namespaces", ["metadata": ["name": "team"]]).status == 201)
        let account = "/api/v1/namespaces/team/serviceaccounts/default"
        let configMap = "/api/v1/namespaces/team/configmaps/kube-root-ca.crt"
        #expect(try await api.eventually { try await api.call("GET", account).status == 200 })
        #expect(try await api.eventually { try await api.call("GET", configMap).status == 200 })
        #expect(try await api.call("GET", configMap).body["data"]["ca.crt"].string == ControllerHarness.caCertificatePEM)
        let firstUID = try await api.call("GET", account).body["metadata"]["uid"].string
        #expect(try await api.call("DELETE", account).status == 200)
        #expect(
            try await api.eventually {
                let again = try await api.call("GET", account)
                return again.status == 200 && again.body["metadata"]["uid"].string != firstUID
            })
        #expect(try await api.call("DELETE", configMap).status == 200)
        #expect(try await api.eventually { try await api.call("GET", configMap).status == 200 })
    }

    @Test("a kube-root-ca.crt edited by someone is set back to the cluster CA")
    func editedConfigMapIsCorrected() async throws {
        let api = try await ControllerHarness.start(serviceAccounts: true)
        let configMap = "/api/v1/namespaces/default/configmaps/kube-root-ca.crt"
        #expect(try await api.eventually { try await api.call("GET", configMap).status == 200 })
        var edited = try await api.call("GET", configMap).body
        edited["data"]["ca.crt"] = "not a certificate"
        #expect(try await api.call("PUT", configMap, edited).status == 200)
        #expect(
            try await api.eventually { try await api.call("GET", configMap).body["data"]["ca.crt"].string == ControllerHarness.caCertificatePEM })
    }
}
