import FoundationEssentials
import Logging
import ServiceLifecycle

/// The kubelet's eviction manager: every monitoring interval it measures the node's signals,
/// sets the pressure conditions from the hard thresholds, and while one is crossed evicts one
/// pod, the first in the kubelet's ranking for the starved resource.
actor EvictionManager: Service {
    let configuration: EvictionConfiguration
    let host: any EvictionHost
    let logger: Logger
    private(set) var pressure: NodePressure

    init(configuration: EvictionConfiguration, host: any EvictionHost, logger: Logger, now: Date = Date()) {
        self.configuration = configuration
        self.host = host
        self.logger = logger
        pressure = NodePressure(transitionPeriodSeconds: configuration.pressureTransitionPeriodSeconds, now: now)
    }

    func run() async {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.synchronize()
                try? await Task.sleep(for: .seconds(self.configuration.monitoringIntervalSeconds))
            }
        }
    }

    /// A pod evicted by one pass, and why.
    struct Eviction: Sendable, Equatable {
        var uid: String
        var key: String
        var signal: EvictionSignal
        var message: String
    }

    /// One pass: returns the pod it evicted, if any.
    @discardableResult
    func synchronize(now: Date = Date()) async -> Eviction? {
        let measurement = await host.measure()
        // Crossed thresholds, memory first as the kubelet orders them, then disk, then pids.
        var crossed: [(threshold: EvictionThreshold, observation: SignalObservation)] = []
        for signal in EvictionSignal.allCases {
            guard let threshold = configuration.thresholds.first(where: { $0.signal == signal }) else { continue }
            guard let observation = measurement.signals[threshold.signal], threshold.isCrossed(by: observation) else { continue }
            crossed.append((threshold, observation))
        }
        if pressure.observe(crossed: Set(crossed.map(\.threshold.signal)), now: now) {
            let pressure = pressure
            logger.notice(
                "node pressure changed",
                metadata: Logger.Metadata(
                    uniqueKeysWithValues: NodePressureType.allCases.map { ($0.rawValue, "\(pressure.isUnderPressure($0))") }))
            await host.publish(pressure)
        }
        guard let (threshold, observation) = crossed.first else { return nil }
        let limit = threshold.amount(capacity: observation.capacity)
        for candidate in EvictionRanking.rank(measurement.pods, for: threshold.signal) {
            let message = EvictionRanking.message(for: candidate, signal: threshold.signal, threshold: limit, available: observation.available)
            logger.warning(
                "evicting pod for node pressure",
                metadata: [
                    "pod": "\(candidate.key)", "signal": "\(threshold.signal.rawValue)", "available": "\(observation.available)", "threshold": "\(limit)",
                ])
            if await host.evict(podUID: candidate.uid, message: message) {
                return Eviction(uid: candidate.uid, key: candidate.key, signal: threshold.signal, message: message)
            }
        }
        logger.warning("node under pressure but no pod can be evicted", metadata: ["signal": "\(threshold.signal.rawValue)"])
        return nil
    }
}
