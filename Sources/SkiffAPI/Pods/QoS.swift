/// The pod QoS class from its containers' requests and limits (Guaranteed, Burstable, BestEffort).
public enum QoS {
    /// From a pod spec as JSON (the API server's defaulting); quantities that do not parse count
    /// as unset.
    public static func classify(_ spec: JSON) -> String {
        let containers = (spec["containers"].array ?? []).map { container in
            ResourceRequirements(
                requests: (container["resources"]["requests"].object ?? [:]).compactMapValues(Quantity.init(json:)),
                limits: (container["resources"]["limits"].object ?? [:]).compactMapValues(Quantity.init(json:)))
        }
        return classify(resources: containers).rawValue
    }

    public static func classify(_ spec: PodSpec) -> QoSClass {
        classify(resources: spec.containers.map(\.resources))
    }

    /// Guaranteed when every container has cpu and memory limits and any request equals its
    /// limit; BestEffort when no container sets anything; Burstable otherwise.
    static func classify(resources containers: [ResourceRequirements]) -> QoSClass {
        var anySet = false
        var guaranteed = !containers.isEmpty
        for resources in containers {
            if !resources.requests.isEmpty || !resources.limits.isEmpty { anySet = true }
            for resource in ["cpu", "memory"] {
                guard let limit = resources.limits[resource] else {
                    guaranteed = false
                    continue
                }
                if let request = resources.requests[resource], request != limit { guaranteed = false }
            }
        }
        if !anySet { return .bestEffort }
        return guaranteed ? .guaranteed : .burstable
    }
}
