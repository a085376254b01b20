import Testing

@testable import SkiffAPIServer

/// The pod CIDR allocator's bookkeeping on its own, without a store.
@Suite("pod CIDR allocator: a rotating start, holders by uid, reconciling with the store's list")
struct PodCIDRAllocatorTests {
    @Test("a rotating start, holders by uid, and a reconcile that keeps what it could not have seen")
    func allocatorBookkeeping() throws {
        let allocator = try PodCIDRAllocator(clusterCIDR: "10.42.0.0/23")
        #expect(allocator.allocate(for: "a") == nil, "nothing is handed out before the Nodes were listed")
        allocator.reconcile([.init(cidr: "10.42.0.0/24", node: "old", revision: 5)], at: 10)
        #expect(allocator.allocate(for: "a") == "10.42.1.0/24")
        #expect(allocator.allocate(for: "b") == nil, "both /24s of the /23 are held")
        // A release names the holder: another Node's range stays held.
        allocator.release("10.42.0.0/24", node: "someone-else")
        #expect(allocator.allocate(for: "b") == nil)
        // A list at revision 11 that does not show "a": its create is still in flight, so it stays;
        // "old" was stored at 5 and is gone from the list, so it was deleted.
        allocator.reconcile([], at: 11)
        #expect(allocator.allocate(for: "b") == "10.42.0.0/24")
        // A list older than what the allocator knows is ignored.
        allocator.release("10.42.0.0/24", node: "b", revision: 20)
        allocator.reconcile([.init(cidr: "10.42.0.0/24", node: "b", revision: 12)], at: 15)
        #expect(allocator.allocate(for: "c") == "10.42.0.0/24")
        #expect(allocator.heldCount == 2)
    }

    @Test("a range freed a moment ago is handed out last; a hand-given wider range holds every /24 it covers")
    func rotatingStart() throws {
        let allocator = try PodCIDRAllocator(clusterCIDR: "10.42.0.0/22")
        allocator.reconcile([], at: 1)
        #expect(allocator.allocate(for: "a") == "10.42.0.0/24")
        #expect(allocator.allocate(for: "b") == "10.42.1.0/24")
        allocator.release("10.42.0.0/24", node: "a", revision: 2)
        #expect(allocator.allocate(for: "c") == "10.42.2.0/24")
        #expect(allocator.allocate(for: "d") == "10.42.3.0/24")
        #expect(allocator.allocate(for: "e") == "10.42.0.0/24", "only now, with nothing else free")
        #expect(allocator.allocate(for: "f") == nil)

        let wide = try PodCIDRAllocator(clusterCIDR: "10.42.0.0/22")
        wide.reconcile([.init(cidr: "10.42.0.0/23", node: "big", revision: 1)], at: 1)
        #expect(wide.heldCount == 2)
        #expect(wide.allocate(for: "a") == "10.42.2.0/24")
        // Outside the cluster CIDR: nothing to hold.
        wide.occupy("192.168.0.0/24", node: "elsewhere", revision: 2)
        #expect(wide.heldCount == 3)
    }
}
