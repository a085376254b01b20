import SkiffAPI

/// One hard eviction threshold, `memory.available<100Mi` or `nodefs.available<10%`: the node is
/// under pressure while the signal's available amount is below it.
public struct EvictionThreshold: Sendable, Equatable {
    /// An absolute amount (bytes, inodes or pids) or a share of the signal's capacity.
    public enum Value: Sendable, Equatable {
        case quantity(Int64)
        /// 0…100.
        case percentage(Double)
    }

    public var signal: EvictionSignal
    public var value: Value

    public init(signal: EvictionSignal, value: Value) {
        self.signal = signal
        self.value = value
    }

    /// The kubelet's Linux defaults (pid.available has none there; 2 % of pid_max keeps room for
    /// the agent itself to act).
    public static let defaults: [EvictionThreshold] = [
        EvictionThreshold(signal: .memoryAvailable, value: .quantity(100 * 1024 * 1024)),
        EvictionThreshold(signal: .nodefsAvailable, value: .percentage(10)),
        EvictionThreshold(signal: .nodefsInodesFree, value: .percentage(5)),
        EvictionThreshold(signal: .pidAvailable, value: .percentage(2)),
    ]

    /// The amount below which the signal is crossed, for a signal whose capacity is `capacity`.
    func amount(capacity: Int64) -> Int64 {
        switch value {
        case .quantity(let amount): amount
        case .percentage(let percent): Int64((Double(capacity) * percent / 100).rounded(.up))
        }
    }

    /// Whether `observation` is below this threshold.
    func isCrossed(by observation: SignalObservation) -> Bool {
        observation.available < amount(capacity: observation.capacity)
    }

    /// `memory.available<100Mi`, as the flag spells it.
    public var description: String {
        switch value {
        case .quantity(let amount): "\(signal.rawValue)<\(signal.countsBytes ? ByteQuantity.string(amount) : String(amount))"
        case .percentage(let percent): "\(signal.rawValue)<\(percent.rounded() == percent ? String(Int64(percent)) : String(percent))%"
        }
    }

    /// Parses the kubelet's `--eviction-hard` list: `signal<quantity` or `signal<percent%`,
    /// comma-separated, each signal at most once. An empty list turns eviction off.
    public static func parseList(_ text: String) throws(EvictionThresholdError) -> [EvictionThreshold] {
        var thresholds: [EvictionThreshold] = []
        for item in text.split(separator: ",") {
            let entry = item.filter { $0 != " " }
            guard !entry.isEmpty else { continue }
            let threshold = try parse(entry)
            guard !thresholds.contains(where: { $0.signal == threshold.signal }) else {
                throw EvictionThresholdError("\(threshold.signal.rawValue) is given twice")
            }
            thresholds.append(threshold)
        }
        return thresholds
    }

    static func parse(_ entry: String) throws(EvictionThresholdError) -> EvictionThreshold {
        let known = EvictionSignal.allCases.map(\.rawValue).joined(separator: ", ")
        guard let less = entry.firstIndex(of: "<") else {
            if entry.contains(">") || entry.contains("=") {
                throw EvictionThresholdError("\(entry): the only operator is < (signal<quantity or signal<percent%)")
            }
            throw EvictionThresholdError("\(entry) is not signal<quantity or signal<percent%")
        }
        let name = String(entry[..<less])
        let amount = String(entry[entry.index(after: less)...])
        guard let signal = EvictionSignal(rawValue: name) else {
            throw EvictionThresholdError("\(entry): unknown signal \(name.isEmpty ? "\"\"" : name) (known: \(known))")
        }
        if amount.hasSuffix("%") {
            guard let percent = Double(amount.dropLast()), percent > 0, percent <= 100 else {
                throw EvictionThresholdError("\(entry): the percentage must be a number above 0 and at most 100")
            }
            return EvictionThreshold(signal: signal, value: .percentage(percent))
        }
        guard let quantity = Quantity(parsing: amount), quantity.milliValue >= 0 else {
            throw EvictionThresholdError(
                "\(entry): \(amount.isEmpty ? "no amount" : amount) is not a non-negative quantity (like 100Mi) or percentage (like 10%)")
        }
        return EvictionThreshold(signal: signal, value: .quantity(quantity.value))
    }
}

/// Why an `--eviction-hard` list was refused.
public struct EvictionThresholdError: Error, Equatable, CustomStringConvertible {
    public let description: String

    init(_ description: String) { self.description = description }
}
