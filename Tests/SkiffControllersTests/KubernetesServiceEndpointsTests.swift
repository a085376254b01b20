import Foundation
import Logging
import SkiffAPI
import Synchronization
import Testing

@testable import SkiffControllers

@Suite("the kubernetes Service's endpoints list the live API servers (lease reconciler)")
struct KubernetesServiceEndpointsTests {
    /// A wall clock a test moves by hand.
    final class Clock: Sendable {
        let time = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
        var now: Date { time.withLock { $0 } }
        func advance(_ seconds: TimeInterval) { time.withLock { $0 += seconds } }
    }

    static func server(_ cluster: FakeCluster, _ clock: Clock, id: String, address: String, port: Int = 6443) -> KubernetesServiceEndpoints {
        KubernetesServiceEndpoints(
            client: cluster, address: address, port: { port }, id: id, identity: "host_\(id)", ttl: .seconds(15), now: { clock.now },
            logger: Logger(label: "test"))
    }

    /// `ADDRESS:PORT` of every ready address of the Endpoints, sorted.
    static func endpoints(_ cluster: FakeCluster) throws -> [String] {
        guard let object = cluster.objects(.endpoints).first(where: { $0["metadata"]["name"] == "kubernetes" }) else { return [] }
        let endpoints = try KubeEndpoints(json: object)
        #expect(endpoints.metadata.labels[KubernetesServiceEndpoints.skipMirrorLabel] == "true")
        return endpoints.subsets.flatMap { subset in
            subset.addresses.flatMap { address in subset.ports.map { "\(address.ip):\($0.port ?? 0)" } }
        }.sorted()
    }

    /// `ADDRESS:PORT` of every endpoint of the kubernetes Service's slices, sorted, and the slices' names.
    static func slices(_ cluster: FakeCluster) throws -> (endpoints: [String], names: [String]) {
        let slices = try cluster.objects(.endpointSlices).map { try EndpointSlice(json: $0) }.filter { $0.serviceName == "kubernetes" }
        for slice in slices {
            #expect(slice.metadata.labels[EndpointSlice.managedByLabel] == "kube-apiserver")
            #expect(slice.addressType == "IPv4")
        }
        let endpoints = slices.flatMap { slice in
            slice.endpoints.flatMap { endpoint in endpoint.addresses.flatMap { address in slice.ports.map { "\(address):\($0.port ?? 0)" } } }
        }
        return (endpoints.sorted(), slices.map(\.metadata.name).sorted())
    }

    @Test("each server records itself in a Lease apiserver-<id>; the Endpoints and the slice name every fresh one")
    func listsEveryServer() async throws {
        let cluster = FakeCluster()
        let clock = Clock()
        let first = Self.server(cluster, clock, id: "a", address: "10.0.0.1")
        let second = Self.server(cluster, clock, id: "b", address: "10.0.0.2")
        await first.sync(port: 6443)
        #expect(try Self.endpoints(cluster) == ["10.0.0.1:6443"])
        await second.sync(port: 6443)
        #expect(try Self.endpoints(cluster) == ["10.0.0.1:6443", "10.0.0.2:6443"])
        #expect(try Self.slices(cluster).endpoints == ["10.0.0.1:6443", "10.0.0.2:6443"])
        #expect(try Self.slices(cluster).names == ["kubernetes"])
        let lease = try #require(try await cluster.get(.leases, namespace: "kube-system", name: "apiserver-b").map { try Lease(json: $0) })
        #expect(lease.holderIdentity == "host_b")
        #expect(lease.leaseDurationSeconds == 15)
        #expect(lease.metadata.labels[KubernetesServiceEndpoints.identityLabel] == "kube-apiserver")
        // Another round of the first server, with nothing changed, writes only its own record.
        let before = cluster.writes.count
        await first.sync(port: 6443)
        #expect(Array(cluster.writes.dropFirst(before)) == ["update leases apiserver-a"])
    }

    @Test("a server that stops renewing drops out once its record is older than the TTL, and its record is deleted")
    func dropsExpired() async throws {
        let cluster = FakeCluster()
        let clock = Clock()
        let first = Self.server(cluster, clock, id: "a", address: "10.0.0.1")
        let second = Self.server(cluster, clock, id: "b", address: "10.0.0.2")
        await first.sync(port: 6443)
        await second.sync(port: 6443)
        // The second dies; ten seconds on, its record is still fresh.
        clock.advance(10)
        await first.sync(port: 6443)
        #expect(try Self.endpoints(cluster) == ["10.0.0.1:6443", "10.0.0.2:6443"])
        clock.advance(10)
        await first.sync(port: 6443)
        #expect(try Self.endpoints(cluster) == ["10.0.0.1:6443"])
        #expect(try Self.slices(cluster).endpoints == ["10.0.0.1:6443"])
        #expect(try await cluster.get(.leases, namespace: "kube-system", name: "apiserver-b") == nil)
        #expect(try await cluster.get(.leases, namespace: "kube-system", name: "apiserver-a") != nil)
        // Back, it is listed again at its first round.
        await second.sync(port: 6443)
        #expect(try Self.endpoints(cluster) == ["10.0.0.1:6443", "10.0.0.2:6443"])
    }

    @Test("leaving on graceful shutdown deletes the server's record and removes it at once")
    func leaves() async throws {
        let cluster = FakeCluster()
        let clock = Clock()
        let first = Self.server(cluster, clock, id: "a", address: "10.0.0.1")
        let second = Self.server(cluster, clock, id: "b", address: "10.0.0.2")
        await first.sync(port: 6443)
        await second.sync(port: 6443)
        await second.leave()
        #expect(try Self.endpoints(cluster) == ["10.0.0.1:6443"])
        #expect(try Self.slices(cluster).endpoints == ["10.0.0.1:6443"])
        #expect(try await cluster.get(.leases, namespace: "kube-system", name: "apiserver-b") == nil)
    }

    @Test("servers on different ports: a subset and a slice per port; a port no server uses any more loses its slice")
    func differentPorts() async throws {
        let cluster = FakeCluster()
        let clock = Clock()
        let first = Self.server(cluster, clock, id: "a", address: "127.0.0.1", port: 40001)
        let second = Self.server(cluster, clock, id: "b", address: "127.0.0.1", port: 40002)
        await first.sync(port: 40001)
        await second.sync(port: 40002)
        #expect(try Self.endpoints(cluster) == ["127.0.0.1:40001", "127.0.0.1:40002"])
        #expect(try Self.slices(cluster).endpoints == ["127.0.0.1:40001", "127.0.0.1:40002"])
        #expect(try Self.slices(cluster).names == ["kubernetes", "kubernetes-40002"])
        await first.leave()
        #expect(try Self.endpoints(cluster) == ["127.0.0.1:40002"])
        #expect(try Self.slices(cluster).endpoints == ["127.0.0.1:40002"])
        #expect(try Self.slices(cluster).names == ["kubernetes"])
    }

    @Test("an edited or deleted Endpoints comes back at the next round")
    func repairs() async throws {
        let cluster = FakeCluster()
        let clock = Clock()
        let server = Self.server(cluster, clock, id: "a", address: "10.0.0.1")
        await server.sync(port: 6443)
        cluster.remove(.endpoints, namespace: "default", name: "kubernetes")
        cluster.remove(.endpointSlices, namespace: "default", name: "kubernetes")
        #expect(try Self.endpoints(cluster) == [])
        await server.sync(port: 6443)
        #expect(try Self.endpoints(cluster) == ["10.0.0.1:6443"])
        #expect(try Self.slices(cluster).endpoints == ["10.0.0.1:6443"])
    }
}
