/// The pod QoS class from its containers' requests and limits (Guaranteed, Burstable, BestEffort).
public enum QoS {
    public static func classify(_ spec: JSON) -> String {
        let containers = spec["containers"].array ?? []
        var anySet = false
        var guaranteed = !containers.isEmpty
        for container in containers {
            let requests = container["resources"]["requests"].object ?? [:]
            let limits = container["resources"]["limits"].object ?? [:]
            if !requests.isEmpty || !limits.isEmpty { anySet = true }
            for resource in ["cpu", "memory"] {
                guard let limit = limits[resource].flatMap(Quantity.init(json:)) else {
                    guaranteed = false
                    continue
                }
                if let request = requests[resource].flatMap(Quantity.init(json:)), request != limit { guaranteed = false }
            }
        }
        if !anySet { return "BestEffort" }
        return guaranteed ? "Guaranteed" : "Burstable"
    }
}
