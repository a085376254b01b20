import SkiffAPI

/// One pod's usage of a resource (from the metrics API) and what it requested.
struct PodUsage: Sendable, Equatable {
    let name: String
    /// Usage: millicores for cpu, bytes for memory (as milli-units of a Quantity).
    let usage: Quantity?
    /// The sum of the containers' requests; nil when any container requests none.
    let request: Quantity?
    /// Ready, or past its start-up: its usage speaks for its steady state.
    let isReady: Bool
}

/// What the metrics say one workload needs, for one metric (the replica calculator of
/// kube-controller-manager's podautoscaler): the current average against the target, and the
/// replica count that would bring it to the target.
struct ReplicaProposal: Sendable, Equatable {
    let replicas: Int
    /// The average utilization in percent (Utilization targets) or the average value.
    let currentUtilization: Int?
    let currentAverage: Quantity
}

enum ReplicaCalculator {
    /// Within 10 % of the target the autoscaler leaves replicas alone, so noise does not flap them.
    static let tolerance = 0.1

    enum Problem: Error, Equatable, CustomStringConvertible {
        case noMetrics
        case missingRequest(pod: String, resource: String)

        var description: String {
            switch self {
            case .noMetrics: "no metrics returned from the resource metrics API"
            case .missingRequest(let pod, let resource): "missing request for \(resource) in pod \(pod)"
            }
        }
    }

    /// The replicas `target` asks for, given `pods` (the running pods the workload selects) and
    /// `current` replicas. Pods without metrics and unready pods count conservatively: when the
    /// metrics say scale up, they are taken to use nothing; when they say scale down, pods
    /// without metrics are taken to use all they requested. So a new or silent pod never drives a
    /// scale in its own direction.
    static func proposal(for target: MetricSpec.Target, resource: String, pods: [PodUsage], current: Int) throws(Problem) -> ReplicaProposal {
        let measured = pods.filter { $0.usage != nil && $0.isReady }
        let missing = pods.filter { $0.usage == nil }
        let unready = pods.filter { $0.usage != nil && !$0.isReady }
        guard !measured.isEmpty else { throw .noMetrics }

        switch target {
        case .utilization(let percent):
            for pod in pods where pod.request == nil { throw .missingRequest(pod: pod.name, resource: resource) }
            func ratio(_ pods: [PodUsage], assumedUsage: (PodUsage) -> Int64) -> Double {
                let usage = pods.reduce(Int64(0)) { $0 + assumedUsage($1) }
                let requests = pods.reduce(Int64(0)) { $0 + ($1.request?.milliValue ?? 0) }
                return requests == 0 ? 0 : Double(usage) / Double(requests) * 100 / Double(percent)
            }
            let measuredRatio = ratio(measured) { $0.usage?.milliValue ?? 0 }
            let utilization = Int((measuredRatio * Double(percent)).rounded())
            let average = Quantity(milliValue: measured.reduce(0) { $0 + ($1.usage?.milliValue ?? 0) } / Int64(measured.count))
            func stay() -> ReplicaProposal { ReplicaProposal(replicas: current, currentUtilization: utilization, currentAverage: average) }
            let scalingUp = measuredRatio > 1
            let fillsIn = !missing.isEmpty || (scalingUp && !unready.isEmpty)
            guard fillsIn else {
                if abs(1 - measuredRatio) <= tolerance { return stay() }
                return ReplicaProposal(
                    replicas: Int((measuredRatio * Double(measured.count)).rounded(.up)), currentUtilization: utilization, currentAverage: average)
            }
            // Fill in the pods the first pass left out, leaning against the direction of change:
            // scaling up, unready and silent pods use nothing; scaling down, silent pods use all
            // they requested (unready ones stay out).
            let filled = measured + (scalingUp ? unready : []) + missing
            let adjusted = ratio(filled) { pod in
                guard let usage = pod.usage, pod.isReady else { return scalingUp ? 0 : (pod.request?.milliValue ?? 0) }
                return usage.milliValue
            }
            if abs(1 - adjusted) <= tolerance || (adjusted > 1) != scalingUp { return stay() }
            let replicas = Int((adjusted * Double(filled.count)).rounded(.up))
            // The fill-in may shrink a change, never turn it around.
            if scalingUp ? replicas < current : replicas > current { return stay() }
            return ReplicaProposal(replicas: replicas, currentUtilization: utilization, currentAverage: average)

        case .averageValue(let targetValue):
            let total = measured.reduce(Int64(0)) { $0 + ($1.usage?.milliValue ?? 0) }
            let average = Quantity(milliValue: total / Int64(measured.count))
            let usageRatio = Double(average.milliValue) / Double(max(1, targetValue.milliValue))
            if abs(1 - usageRatio) <= tolerance {
                return ReplicaProposal(replicas: current, currentUtilization: nil, currentAverage: average)
            }
            return ReplicaProposal(
                replicas: Int((usageRatio * Double(measured.count)).rounded(.up)), currentUtilization: nil, currentAverage: average)

        case .unsupported:
            throw .noMetrics
        }
    }
}
