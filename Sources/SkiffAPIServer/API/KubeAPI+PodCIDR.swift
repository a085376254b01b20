import SkiffAPI

extension KubeAPI {
    /// A new Node without spec.podCIDR gets the next free /24 of 10.42.0.0/16 (spec.podCIDR and
    /// spec.podCIDRs); one created with a podCIDR keeps it once it is checked to be a CIDR.
    func assignPodCIDR(_ node: inout JSON) async throws {
        let name = node["metadata"]["name"].string ?? ""
        if let given = node["spec"]["podCIDR"].string, !given.isEmpty {
            try Self.checkPodCIDRs(node, name: name)
            if node["spec"]["podCIDRs"].isNull { node["spec"]["podCIDRs"] = [.string(given)] }
            return
        }
        if let first = node["spec"]["podCIDRs"].array?.first?.string {
            // Only the plural form was given: mirror it as Kubernetes does.
            node["spec"]["podCIDR"] = .string(first)
            try Self.checkPodCIDRs(node, name: name)
            return
        }
        let nodes = try await store.list(prefix: CoreResources.node.prefix(namespace: nil), startAfter: nil, limit: nil, revision: nil)
        var used = Set<String>()
        for item in nodes.items {
            let other = try decode(item)
            for cidr in other["spec"]["podCIDRs"].array ?? [] { if let cidr = cidr.string { used.insert(cidr) } }
            if let cidr = other["spec"]["podCIDR"].string { used.insert(cidr) }
        }
        guard let cidr = podCIDRAllocator.allocate(used: used) else {
            throw APIError(code: 503, reason: "ServiceUnavailable", message: "no free pod CIDR left in \(podCIDRAllocator.clusterCIDR) for node \(name)")
        }
        node["spec"]["podCIDR"] = .string(cidr)
        node["spec"]["podCIDRs"] = [.string(cidr)]
    }

    /// A Node keeps its podCIDR for life: an update that leaves it out keeps the stored one, an
    /// update that changes it is refused (Kubernetes: "may not change podCIDR except from \"\"").
    func keepPodCIDR(current: JSON, next: inout JSON) throws {
        for field in ["podCIDR", "podCIDRs"] {
            let stored = current["spec"][field]
            if stored.isNull { continue }
            if next["spec"][field].isNull {
                next["spec"][field] = stored
            } else if next["spec"][field] != stored {
                throw APIError.invalid(
                    kind: "Node", name: current["metadata"]["name"].string ?? "",
                    causes: [("spec.\(field)", "Forbidden: node updates may not change podCIDR except from \"\" to valid")])
            }
        }
        if current["spec"]["podCIDR"].isNull { try Self.checkPodCIDRs(next, name: next["metadata"]["name"].string ?? "") }
    }

    static func checkPodCIDRs(_ node: JSON, name: String) throws {
        var causes: [(field: String, message: String)] = []
        if let cidr = node["spec"]["podCIDR"].string, !cidr.isEmpty, !PodCIDRAllocator.isCIDR(cidr) {
            causes.append(("spec.podCIDR", "Invalid value: \"\(cidr)\": must be a valid CIDR such as 10.42.1.0/24"))
        }
        for (index, cidr) in (node["spec"]["podCIDRs"].array ?? []).enumerated() {
            guard let text = cidr.string, PodCIDRAllocator.isCIDR(text) else {
                causes.append(("spec.podCIDRs[\(index)]", "Invalid value: \(cidr.serialized): must be a valid CIDR such as 10.42.1.0/24"))
                continue
            }
        }
        if let first = node["spec"]["podCIDRs"].array?.first?.string, let single = node["spec"]["podCIDR"].string, !single.isEmpty, first != single {
            causes.append(("spec.podCIDRs", "Invalid value: the first entry must equal spec.podCIDR (\(single))"))
        }
        if !causes.isEmpty { throw APIError.invalid(kind: "Node", name: name, causes: causes) }
    }
}
