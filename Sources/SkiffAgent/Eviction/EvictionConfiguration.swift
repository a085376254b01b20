/// How the agent watches for node pressure and evicts pods: the kubelet's `--eviction-hard`,
/// `--eviction-pressure-transition-period` and the period of its eviction loop.
public struct EvictionConfiguration: Sendable, Equatable {
    /// Empty turns node-pressure eviction off (the conditions stay False).
    public var thresholds: [EvictionThreshold]
    /// How often signals are measured and at most one pod evicted (the kubelet's 10 s).
    public var monitoringIntervalSeconds: Double
    /// How long a pressure condition stays True after its signal last crossed its threshold,
    /// so a node hovering around one does not flap (the kubelet's 5 m).
    public var pressureTransitionPeriodSeconds: Double

    public init(
        thresholds: [EvictionThreshold] = EvictionThreshold.defaults, monitoringIntervalSeconds: Double = 10,
        pressureTransitionPeriodSeconds: Double = 300
    ) {
        self.thresholds = thresholds
        self.monitoringIntervalSeconds = monitoringIntervalSeconds
        self.pressureTransitionPeriodSeconds = pressureTransitionPeriodSeconds
    }

    /// Parses a Go duration as the kubelet's flags take them: "10s", "500ms", "5m0s", "1h".
    public static func seconds(parsingDuration text: String) -> Double? {
        let units: [(String, Double)] = [("ms", 0.001), ("h", 3600), ("m", 60), ("s", 1)]
        var rest = Substring(text)
        var total = 0.0
        guard !rest.isEmpty else { return nil }
        if rest == "0" { return 0 }
        while !rest.isEmpty {
            let number = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            guard !number.isEmpty, let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            guard let (unit, scale) = units.first(where: { rest.hasPrefix($0.0) }) else { return nil }
            rest = rest.dropFirst(unit.count)
            total += value * scale
        }
        return total
    }
}
