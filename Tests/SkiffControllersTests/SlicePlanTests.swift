import SkiffAPI
import Testing

@testable import SkiffControllers

@Suite("SlicePlan: grouping by port set, 100 per slice, writing only what changed")
struct SlicePlanTests {
    static let labels = [EndpointSlice.serviceNameLabel: "web", EndpointSlice.managedByLabel: EndpointSliceController.managerName]
    static let http = [EndpointPort(name: "", protocol: .tcp, port: 8080)]

    static func backend(_ address: String, ports: [EndpointPort] = http, ready: Bool = true) -> ServiceBackend {
        ServiceBackend(
            address: address, ready: ready, serving: ready, terminating: false, hostname: nil, nodeName: "node-1",
            pod: ObjectReference(kind: "Pod", namespace: "default", name: "pod-" + address, uid: "uid-" + address), ports: ports)
    }

    static func addresses(_ count: Int, from start: Int = 0) -> [String] {
        (start..<start + count).map { "10.42.\($0 / 250).\($0 % 250 + 1)" }
    }

    @Test("new backends are created in slices of at most 100, every address once")
    func chunks() {
        let backends = Self.addresses(250).map { Self.backend($0) }
        let plan = SlicePlan(existing: [], backends: backends, labels: Self.labels)
        #expect(plan.creates.map(\.endpoints.count) == [100, 100, 50])
        #expect(Set(plan.creates.flatMap { $0.endpoints.flatMap(\.addresses) }) == Set(Self.addresses(250)))
        #expect(plan.creates.allSatisfy { $0.ports == Self.http && $0.labels == Self.labels })
        #expect(plan.updates.isEmpty && plan.deletes.isEmpty)
    }

    @Test("pods whose ports resolve differently go in different slices")
    func groupsByPorts() {
        let other = [EndpointPort(name: "", protocol: .tcp, port: 9090)]
        let plan = SlicePlan(
            existing: [], backends: [Self.backend("10.42.0.1"), Self.backend("10.42.0.2", ports: other), Self.backend("10.42.0.3")], labels: Self.labels)
        #expect(plan.creates.count == 2)
        #expect(plan.creates[0].ports == Self.http)
        #expect(plan.creates[0].endpoints.flatMap(\.addresses) == ["10.42.0.1", "10.42.0.3"])
        #expect(plan.creates[1].ports == other)
        #expect(plan.creates[1].endpoints.flatMap(\.addresses) == ["10.42.0.2"])
    }

    @Test("nothing changed: no writes")
    func unchanged() throws {
        let backends = [Self.backend("10.42.0.1"), Self.backend("10.42.0.2")]
        let existing = try Fixtures.slice("web-abc", ports: Self.http, endpoints: backends.map(\.endpoint), labels: Self.labels)
        #expect(SlicePlan(existing: [existing], backends: backends, labels: Self.labels).isEmpty)
    }

    @Test("one pod turning unready rewrites only the slice holding it")
    func oneChange() throws {
        let first = Self.addresses(100).map { Self.backend($0) }
        let second = Self.addresses(30, from: 100).map { Self.backend($0) }
        let existing = [
            try Fixtures.slice("web-a", ports: Self.http, endpoints: first.map(\.endpoint), labels: Self.labels),
            try Fixtures.slice("web-b", ports: Self.http, endpoints: second.map(\.endpoint), labels: Self.labels),
        ]
        var backends = first + second
        backends[105] = Self.backend(backends[105].address, ready: false)
        let plan = SlicePlan(existing: existing, backends: backends, labels: Self.labels)
        #expect(plan.creates.isEmpty && plan.deletes.isEmpty)
        #expect(plan.updates.map(\.slice.metadata.name) == ["web-b"])
        #expect(plan.updates[0].content.endpoints.first { $0.addresses == [backends[105].address] }?.conditions.ready == false)
    }

    @Test("new endpoints fill slices with room before a new slice is made; slices left empty are deleted")
    func fillAndDelete() throws {
        let existing = [
            try Fixtures.slice("web-a", ports: Self.http, endpoints: Self.addresses(99).map { Self.backend($0).endpoint }, labels: Self.labels),
            try Fixtures.slice("web-b", ports: Self.http, endpoints: [Self.backend("10.99.0.1").endpoint], labels: Self.labels),
            try Fixtures.slice("web-c", ports: Self.http, endpoints: [Self.backend("10.99.0.2").endpoint], labels: Self.labels),
        ]
        let backends = (Self.addresses(99) + Self.addresses(3, from: 500)).map { Self.backend($0) }
        let plan = SlicePlan(existing: existing, backends: backends, labels: Self.labels)
        #expect(plan.deletes.map(\.metadata.name) == ["web-c"])
        #expect(plan.updates.map(\.slice.metadata.name) == ["web-a", "web-b"])
        #expect(plan.updates.map(\.content.endpoints.count) == [100, 2])
        #expect(plan.creates.isEmpty)
        let full = SlicePlan(existing: Array(existing.prefix(1)), backends: backends, labels: Self.labels)
        #expect(full.updates.map(\.content.endpoints.count) == [100])
        #expect(full.creates.map(\.endpoints.count) == [2])
    }

    @Test("a Service without backends keeps one empty slice; slices of vanished port sets go")
    func placeholder() throws {
        let other = [EndpointPort(name: "", protocol: .tcp, port: 9090)]
        let fresh = SlicePlan(existing: [], backends: [], labels: Self.labels)
        #expect(fresh.creates == [SliceContent(ports: [], endpoints: [], labels: Self.labels)])
        let existing = [try Fixtures.slice("web-a", ports: other, endpoints: [Self.backend("10.42.0.1", ports: other).endpoint], labels: Self.labels)]
        let emptied = SlicePlan(existing: existing, backends: [], labels: Self.labels)
        #expect(emptied.deletes.map(\.metadata.name) == ["web-a"])
        #expect(emptied.creates.count == 1)
        let placeholder = try Fixtures.slice("web-p", ports: [], endpoints: [], labels: Self.labels)
        #expect(SlicePlan(existing: [placeholder], backends: [], labels: Self.labels).isEmpty)
    }
}

@Suite("EndpointSubsets: legacy Endpoints grouped by ports, ready and not-ready addresses")
struct EndpointSubsetsTests {
    @Test("ready backends are addresses, the rest notReadyAddresses, one subset per port set")
    func subsets() {
        let other = [EndpointPort(name: "", protocol: .tcp, port: 9090)]
        let backends = [
            SlicePlanTests.backend("10.42.0.1"), SlicePlanTests.backend("10.42.0.2", ready: false), SlicePlanTests.backend("10.42.0.3", ports: other),
        ]
        let subsets = EndpointSubsets.of(backends)
        #expect(subsets.count == 2)
        #expect(subsets[0].ports == SlicePlanTests.http)
        #expect(subsets[0].addresses.map(\.ip) == ["10.42.0.1"])
        #expect(subsets[0].notReadyAddresses.map(\.ip) == ["10.42.0.2"])
        #expect(subsets[0].addresses[0].targetRef?.name == "pod-10.42.0.1")
        #expect(subsets[0].addresses[0].nodeName == "node-1")
        #expect(subsets[1].ports == other)
        #expect(subsets[1].addresses.map(\.ip) == ["10.42.0.3"])
        #expect(EndpointSubsets.of([]).isEmpty)
    }
}
