import SkiffAPI
import Testing

@testable import SkiffControllers

@Suite("ServiceBackends: which pods back a Service, with what readiness and ports")
struct ServiceBackendsTests {
    @Test("selected pods with an IP that are not finished become backends, sorted by address; others are left out")
    func selection() throws {
        let service = try Fixtures.service("web")
        let pods = [
            try Fixtures.pod("b", ip: "10.42.0.9"), try Fixtures.pod("a", ip: "10.42.0.2"),
            try Fixtures.pod("no-ip", ip: nil), try Fixtures.pod("done", ip: "10.42.0.3", phase: "Succeeded"),
            try Fixtures.pod("failed", ip: "10.42.0.4", phase: "Failed"), try Fixtures.pod("other", ip: "10.42.0.5", labels: ["app": "db"]),
            try Fixtures.pod("elsewhere", namespace: "kube-system", ip: "10.42.0.6"), try Fixtures.pod("v6", ip: "fd00::1"),
        ]
        let (backends, unresolved) = ServiceBackends.of(service, pods: pods, includeTerminating: true)
        #expect(backends.map(\.pod.name) == ["a", "b"])
        #expect(backends.map(\.address) == ["10.42.0.2", "10.42.0.9"])
        #expect(backends[0].ports == [EndpointPort(name: "", protocol: .tcp, port: 8080)])
        #expect(backends[0].pod == ObjectReference(kind: "Pod", namespace: "default", name: "a", uid: "uid-a"))
        #expect(backends[0].nodeName == "node-1")
        #expect(unresolved.isEmpty)
    }

    @Test("a Service without a selector has no backends")
    func noSelector() throws {
        let (backends, _) = ServiceBackends.of(try Fixtures.service("ext", selector: nil), pods: [try Fixtures.pod("a")], includeTerminating: true)
        #expect(backends.isEmpty)
    }

    @Test("ready is Ready and not terminating; serving is Ready; terminating is a deletion under way")
    func readiness() throws {
        let service = try Fixtures.service("web")
        let pods = [
            try Fixtures.pod("ready", ip: "10.42.0.1"), try Fixtures.pod("unready", ip: "10.42.0.2", ready: false),
            try Fixtures.pod("leaving", ip: "10.42.0.3", deleting: true), try Fixtures.pod("leaving-unready", ip: "10.42.0.4", ready: false, deleting: true),
        ]
        let (backends, _) = ServiceBackends.of(service, pods: pods, includeTerminating: true)
        let conditions = backends.map { [$0.ready, $0.serving, $0.terminating] }
        #expect(conditions == [[true, true, false], [false, false, false], [false, true, true], [false, false, true]])
        let (withoutTerminating, _) = ServiceBackends.of(service, pods: pods, includeTerminating: false)
        #expect(withoutTerminating.map(\.pod.name) == ["ready", "unready"])
    }

    @Test("publishNotReadyAddresses makes every backend ready, terminating ones too")
    func publishNotReady() throws {
        let service = try Fixtures.service("peers", publishNotReady: true)
        let pods = [try Fixtures.pod("unready", ip: "10.42.0.2", ready: false), try Fixtures.pod("leaving", ip: "10.42.0.3", ready: false, deleting: true)]
        let (backends, _) = ServiceBackends.of(service, pods: pods, includeTerminating: true)
        #expect(backends.map(\.ready) == [true, true])
        #expect(backends.map(\.serving) == [false, false])
    }

    @Test("a named targetPort resolves per pod against its container ports of the same protocol; a pod without it is reported")
    func namedPorts() throws {
        let service = try Fixtures.service(
            "web", ports: [["name": "http", "port": 80, "targetPort": "web"], ["name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53]])
        let pods = [
            try Fixtures.pod("a", ip: "10.42.0.1", containerPorts: [["name": "web", "containerPort": 8080]]),
            try Fixtures.pod("b", ip: "10.42.0.2", containerPorts: [["name": "web", "containerPort": 9090]]),
            // Same name, other protocol: not a match.
            try Fixtures.pod("c", ip: "10.42.0.3", containerPorts: [["name": "web", "containerPort": 8080, "protocol": "UDP"]]),
        ]
        let (backends, unresolved) = ServiceBackends.of(service, pods: pods, includeTerminating: true)
        #expect(
            backends.map(\.ports) == [
                [EndpointPort(name: "http", protocol: .tcp, port: 8080), EndpointPort(name: "dns", protocol: .udp, port: 53)],
                [EndpointPort(name: "http", protocol: .tcp, port: 9090), EndpointPort(name: "dns", protocol: .udp, port: 53)],
                [EndpointPort(name: "dns", protocol: .udp, port: 53)],
            ])
        #expect(
            unresolved == [
                UnresolvedPort(pod: ObjectReference(kind: "Pod", namespace: "default", name: "c", uid: "uid-c"), servicePort: "http", targetPort: "web")
            ])
    }

    @Test("a pod that resolves none of the Service's ports is left out")
    func noResolvedPort() throws {
        let service = try Fixtures.service("web", ports: [["port": 80, "targetPort": "web"]])
        let (backends, unresolved) = ServiceBackends.of(service, pods: [try Fixtures.pod("a")], includeTerminating: true)
        #expect(backends.isEmpty)
        #expect(unresolved.map(\.pod.name) == ["a"])
    }

    @Test("hostname is published when the pod's subdomain names the Service")
    func hostname() throws {
        let service = try Fixtures.service("db", headless: true)
        let pods = [
            try Fixtures.pod("db-0", ip: "10.42.0.1", hostname: "db-0", subdomain: "db"),
            try Fixtures.pod("db-1", ip: "10.42.0.2", hostname: "db-1", subdomain: "other"),
            try Fixtures.pod("db-2", ip: "10.42.0.3"),
        ]
        let (backends, _) = ServiceBackends.of(service, pods: pods, includeTerminating: true)
        #expect(backends.map(\.hostname) == ["db-0", nil, nil])
    }
}
