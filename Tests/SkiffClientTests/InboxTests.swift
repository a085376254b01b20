import Testing

@testable import SkiffClient

/// An inbox hands its consumer everything posted since the last turn, in order,
/// and drops (and counts) posts past its capacity.
@Suite struct InboxTests {
    @Test("a turn takes every item posted since the last one, in order; finish ends the batches")
    func turnsTakeEverythingPosted() async throws {
        let inbox = Inbox<Int>()
        for item in 1...3 { inbox.post(item) }
        var batches = inbox.batches.makeAsyncIterator()
        let first = try await batches.next()
        #expect(first?.items == [1, 2, 3])
        #expect(first?.dropped == 0)
        inbox.post(4)
        inbox.post(5)
        inbox.finish()
        #expect(try await batches.next()?.items == [4, 5])
        #expect(try await batches.next() == nil)
    }

    @Test("posts past the capacity are dropped and reported with the next batch")
    func postsPastCapacityAreDroppedAndCounted() async throws {
        let inbox = Inbox<String>(capacity: 2)
        #expect(inbox.post("a"))
        #expect(inbox.post("b"))
        #expect(!inbox.post("c"))
        #expect(!inbox.post("d"))
        var batches = inbox.batches.makeAsyncIterator()
        let batch = try await batches.next()
        #expect(batch?.items == ["a", "b"])
        #expect(batch?.dropped == 2)
        #expect(inbox.post("e"), "taking the batch makes room again")
    }
}
