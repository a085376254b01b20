import SkiffAPI
import SkiffControllers
import Testing

/// The endpoint controllers on a real in-process API: pods' status changes flow through the
/// informers into EndpointSlices and Endpoints, written with the API's checks.
@Suite("Endpoint controllers against the in-process API")
struct EndpointControllersTests {
    static let service: JSON = [
        "metadata": ["name": "web", "labels": ["tier": "front"]],
        "spec": ["selector": ["app": "web"], "ports": [["name": "http", "port": 80, "targetPort": "http"]]],
    ]

    @Test("slices and Endpoints follow the pods: ready, unready, terminating, deleted; they go with the Service")
    func followPods() async throws {
        let harness = try await ControllerHarness.start()
        let created = try await harness.call("POST", "/api/v1/namespaces/default/services", Self.service)
        #expect(created.status == 201)
        try await harness.runPod("a", ip: "10.42.0.10")
        try await harness.runPod("b", ip: "10.42.0.11")
        #expect(
            try await harness.eventually {
                try await harness.sliceConditions(of: "web") == ["10.42.0.10": [true, true, false], "10.42.0.11": [true, true, false]]
            })
        let slices = try await harness.slices(of: "web")
        #expect(slices.count == 1)
        let slice = slices[0]
        #expect(slice["metadata"]["name"].string?.hasPrefix("web-") == true)
        #expect(slice["metadata"]["labels"][EndpointSlice.managedByLabel] == "endpointslice-controller.k8s.io")
        #expect(slice["metadata"]["labels"]["tier"] == "front")
        #expect(slice["metadata"]["ownerReferences"][0]["uid"] == created.body["metadata"]["uid"])
        #expect(slice["metadata"]["ownerReferences"][0]["controller"] == true)
        #expect(slice["addressType"] == "IPv4")
        #expect(slice["ports"] == [["name": "http", "protocol": "TCP", "port": 8080]])
        #expect(slice["endpoints"][0]["targetRef"]["name"] == "a")
        #expect(slice["endpoints"][0]["nodeName"] == "node-1")
        #expect(slice["metadata"]["managedFields"][0]["manager"] == "endpointslice-controller")
        #expect(try await harness.eventually { try await harness.endpointAddresses(of: "web")?.ready == ["10.42.0.10", "10.42.0.11"] })
        let endpoints = try await harness.call("GET", "/api/v1/namespaces/default/endpoints/web").body
        #expect(endpoints["subsets"][0]["ports"] == [["name": "http", "protocol": "TCP", "port": 8080]])
        #expect(endpoints["subsets"][0]["addresses"][0]["targetRef"]["kind"] == "Pod")

        try await harness.setStatus("b", ip: "10.42.0.11", ready: false)
        #expect(try await harness.eventually { try await harness.sliceConditions(of: "web")["10.42.0.11"] == [false, false, false] })
        #expect(try await harness.eventually { try await harness.endpointAddresses(of: "web")?.notReady == ["10.42.0.11"] })

        // A bound pod's deletion is graceful: it terminates, still serving, until its agent confirms.
        #expect(try await harness.call("DELETE", "/api/v1/namespaces/default/pods/a").status == 200)
        #expect(try await harness.eventually { try await harness.sliceConditions(of: "web")["10.42.0.10"] == [false, true, true] })
        #expect(try await harness.eventually { try await harness.endpointAddresses(of: "web")?.ready == [] })
        #expect(try await harness.call("DELETE", "/api/v1/namespaces/default/pods/a", query: ["gracePeriodSeconds": "0"]).status == 200)
        #expect(try await harness.eventually { try await harness.sliceConditions(of: "web")["10.42.0.10"] == nil })

        #expect(try await harness.call("DELETE", "/api/v1/namespaces/default/services/web").status == 200)
        #expect(try await harness.eventually { try await harness.slices(of: "web").isEmpty })
        #expect(try await harness.eventually { try await harness.endpointAddresses(of: "web") == nil })
    }

    @Test("a sync that changes nothing writes nothing")
    func noNeedlessWrites() async throws {
        let harness = try await ControllerHarness.start()
        #expect(try await harness.call("POST", "/api/v1/namespaces/default/services", Self.service).status == 201)
        try await harness.runPod("a", ip: "10.42.0.10")
        #expect(try await harness.eventually { try await harness.sliceConditions(of: "web") == ["10.42.0.10": [true, true, false]] })
        #expect(try await harness.eventually { try await harness.endpointAddresses(of: "web")?.ready == ["10.42.0.10"] })
        let sliceVersion = try await harness.slices(of: "web").first?["metadata"]["resourceVersion"]
        let endpointsVersion = try await harness.call("GET", "/api/v1/namespaces/default/endpoints/web").body["metadata"]["resourceVersion"]
        // A change the endpoints do not show (an annotation) makes both controllers sync the Service.
        let annotate: JSON = ["metadata": ["annotations": ["note": "x"]]]
        #expect(
            try await harness.call("PATCH", "/api/v1/namespaces/default/pods/a", annotate, contentType: "application/merge-patch+json").status == 200)
        try await Task.sleep(for: .milliseconds(500))
        #expect(try await harness.slices(of: "web").first?["metadata"]["resourceVersion"] == sliceVersion)
        #expect(try await harness.call("GET", "/api/v1/namespaces/default/endpoints/web").body["metadata"]["resourceVersion"] == endpointsVersion)
    }

    @Test("a pod lacking the named target port is left out, with one Warning event on the Service")
    func missingNamedPort() async throws {
        let harness = try await ControllerHarness.start()
        #expect(try await harness.call("POST", "/api/v1/namespaces/default/services", Self.service).status == 201)
        try await harness.runPod("good", ip: "10.42.0.10")
        try await harness.runPod("bad", ip: "10.42.0.11", portName: "metrics")
        #expect(try await harness.eventually { try await harness.sliceConditions(of: "web") == ["10.42.0.10": [true, true, false]] })
        func warnings() async throws -> [JSON] {
            try await harness.call("GET", "/api/v1/namespaces/default/events", query: ["fieldSelector": "involvedObject.name=web,type=Warning"])
                .body["items"].array ?? []
        }
        #expect(try await harness.eventually { try await warnings().count == 1 })
        // More syncs (the pod turning unready) do not repeat it.
        try await harness.setStatus("bad", ip: "10.42.0.11", ready: false)
        try await harness.setStatus("good", ip: "10.42.0.10", ready: false)
        #expect(try await harness.eventually { try await harness.sliceConditions(of: "web")["10.42.0.10"] == [false, false, false] })
        let events = try await warnings()
        #expect(events.count == 1)
        #expect(events.first?["reason"] == "FailedToResolvePort")
        #expect(events.first?["message"].string?.contains("bad") == true)
    }

    @Test("a Service without a selector is left to its users; the kubernetes Service's endpoints name the server")
    func selectorless() async throws {
        let harness = try await ControllerHarness.start()
        let external: JSON = ["metadata": ["name": "external"], "spec": ["ports": [["port": 80]]]]
        #expect(try await harness.call("POST", "/api/v1/namespaces/default/services", external).status == 201)
        let userSlice: JSON = [
            "metadata": ["name": "external-1", "labels": JSON(stringMap: [EndpointSlice.serviceNameLabel: "external"])], "addressType": "IPv4",
            "endpoints": [["addresses": ["192.0.2.50"]]], "ports": [["port": 80]],
        ]
        #expect(try await harness.call("POST", "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices", userSlice).status == 201)
        #expect(
            try await harness.eventually {
                let kubernetes = try await harness.call("GET", "/api/v1/namespaces/default/endpoints/kubernetes").body
                return kubernetes["subsets"] == [["addresses": [["ip": "192.0.2.10"]], "ports": [["name": "https", "protocol": "TCP", "port": 6443]]]]
            })
        #expect(
            try await harness.eventually {
                let slice = try await harness.call("GET", "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/kubernetes").body
                return slice["endpoints"][0]["addresses"] == ["192.0.2.10"] && slice["ports"][0]["port"] == 6443
            })
        // Deleted, the kubernetes Service's Endpoints come back at the next check.
        #expect(try await harness.call("DELETE", "/api/v1/namespaces/default/endpoints/kubernetes").status == 200)
        #expect(try await harness.eventually { try await harness.endpointAddresses(of: "kubernetes")?.ready == ["192.0.2.10"] })
        // Endpoints a user writes for a Service without a selector (or for no Service) stay theirs.
        let manual: JSON = ["metadata": ["name": "external"], "subsets": [["addresses": [["ip": "192.0.2.50"]], "ports": [["port": 80]]]]]
        let orphan: JSON = ["metadata": ["name": "orphan"], "subsets": [["addresses": [["ip": "192.0.2.51"]], "ports": [["port": 80]]]]]
        for endpoints in [manual, orphan] {
            let created = try await harness.call("POST", "/api/v1/namespaces/default/endpoints", endpoints)
            #expect(created.status == 201)
            var edited = created.body
            edited["subsets"][0]["addresses"][0]["hostname"] = "edited"
            #expect(try await harness.call("PUT", "/api/v1/namespaces/default/endpoints/\(endpoints["metadata"]["name"].string ?? "")", edited).status == 200)
        }
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await harness.endpointAddresses(of: "external")?.ready == ["192.0.2.50"])
        #expect(try await harness.endpointAddresses(of: "orphan")?.ready == ["192.0.2.51"])
        let slices = try await harness.slices(of: "external")
        #expect(slices.map { $0["metadata"]["name"] } == ["external-1"])
    }
}
