import Testing

@testable import SkiffAgent

@Suite("--eviction-hard parsing")
struct EvictionThresholdTests {
    @Test("the kubelet's spellings parse into quantities and percentages")
    func parsesKubeletSpellings() throws {
        let thresholds = try EvictionThreshold.parseList("memory.available<100Mi, nodefs.available<10%,nodefs.inodesFree<5%,pid.available<1000")
        #expect(
            thresholds == [
                EvictionThreshold(signal: .memoryAvailable, value: .quantity(100 << 20)),
                EvictionThreshold(signal: .nodefsAvailable, value: .percentage(10)),
                EvictionThreshold(signal: .nodefsInodesFree, value: .percentage(5)),
                EvictionThreshold(signal: .pidAvailable, value: .quantity(1000)),
            ])
        #expect(thresholds.map(\.description) == ["memory.available<100Mi", "nodefs.available<10%", "nodefs.inodesFree<5%", "pid.available<1000"])
        #expect(try EvictionThreshold.parseList("memory.available<23Gi") == [EvictionThreshold(signal: .memoryAvailable, value: .quantity(23 << 30))])
        #expect(try EvictionThreshold.parseList("memory.available<12.5%")[0].value == .percentage(12.5))
        #expect(try EvictionThreshold.parseList("").isEmpty, "an empty list turns eviction off")
    }

    @Test(
        "a wrong threshold is refused with what is wrong",
        arguments: [
            ("memory.free<100Mi", "unknown signal memory.free"),
            ("memory.available>100Mi", "the only operator is <"),
            ("memory.available=100Mi", "the only operator is <"),
            ("memory.available<lots", "lots is not a non-negative quantity"),
            ("memory.available<", "no amount"),
            ("memory.available<-1Gi", "-1Gi is not a non-negative quantity"),
            ("nodefs.available<0%", "above 0 and at most 100"),
            ("nodefs.available<120%", "above 0 and at most 100"),
            ("memory.available<1Gi,memory.available<2Gi", "memory.available is given twice"),
            ("memory.available", "is not signal<quantity"),
        ])
    func refusesWrongThresholds(text: String, expected: String) {
        #expect {
            _ = try EvictionThreshold.parseList(text)
        } throws: { error in
            "\(error)".contains(expected)
        }
    }

    @Test("a percentage is taken of the signal's capacity; a quantity is absolute")
    func thresholdAmounts() {
        let percent = EvictionThreshold(signal: .nodefsAvailable, value: .percentage(10))
        #expect(percent.amount(capacity: 1000) == 100)
        #expect(percent.isCrossed(by: SignalObservation(available: 99, capacity: 1000)))
        #expect(!percent.isCrossed(by: SignalObservation(available: 100, capacity: 1000)))
        let quantity = EvictionThreshold(signal: .memoryAvailable, value: .quantity(100 << 20))
        #expect(quantity.isCrossed(by: SignalObservation(available: 50 << 20, capacity: 24 << 30)))
    }

    @Test("Go durations as the kubelet's flags take them")
    func durations() {
        #expect(EvictionConfiguration.seconds(parsingDuration: "10s") == 10)
        #expect(EvictionConfiguration.seconds(parsingDuration: "5m0s") == 300)
        #expect(EvictionConfiguration.seconds(parsingDuration: "1h30m") == 5400)
        #expect(EvictionConfiguration.seconds(parsingDuration: "500ms") == 0.5)
        #expect(EvictionConfiguration.seconds(parsingDuration: "0") == 0)
        #expect(EvictionConfiguration.seconds(parsingDuration: "10") == nil)
        #expect(EvictionConfiguration.seconds(parsingDuration: "ten s") == nil)
        #expect(EvictionConfiguration.seconds(parsingDuration: "") == nil)
    }

    @Test("byte amounts print as quantities with the largest exact binary suffix")
    func byteQuantities() {
        #expect(ByteQuantity.string(100 << 20) == "100Mi")
        #expect(ByteQuantity.string(51200 * 1024) == "50Mi")
        #expect(ByteQuantity.string(3 * 1024 + 1024 * 1024) == "1027Ki")
        #expect(ByteQuantity.string(1023) == "1023")
        #expect(ByteQuantity.string(0) == "0")
    }
}
