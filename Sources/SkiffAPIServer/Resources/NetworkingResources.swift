import SkiffAPI

/// networking.k8s.io/v1 NetworkPolicy; each agent enforces the policies selecting its pods
/// (SkiffNetworkPolicy). Defaults and checks follow Kubernetes' networking validation.
enum NetworkingResources {
    static let networkPolicy = ResourceDefinition(
        group: "networking.k8s.io", kind: "NetworkPolicy", plural: "networkpolicies", shortNames: ["netpol"], tracksGeneration: true,
        columns: [.text("Pod-Selector") { Columns.selector($0["spec"]["podSelector"]) }, .age],
        topLevelFields: ["spec"],
        defaults: { policy in
            if policy["spec"].isNull { policy["spec"] = .emptyObject }
            if policy["spec"]["podSelector"].isNull { policy["spec"]["podSelector"] = .emptyObject }
            for direction in ["ingress", "egress"] {
                for rule in (policy["spec"][direction].array ?? []).indices {
                    for port in (policy["spec"][direction][rule]["ports"].array ?? []).indices
                    where policy["spec"][direction][rule]["ports"][port]["protocol"].isNull {
                        policy["spec"][direction][rule]["ports"][port]["protocol"] = "TCP"
                    }
                }
            }
            if (policy["spec"]["policyTypes"].array ?? []).isEmpty {
                let hasEgress = !(policy["spec"]["egress"].array ?? []).isEmpty
                policy["spec"]["policyTypes"] = .array(NetworkPolicy.defaultPolicyTypes(hasEgressRules: hasEgress).map { .string($0.rawValue) })
            }
        },
        validate: { policy, validator in
            let spec = policy["spec"]
            if !spec["podSelector"].isNull { PolicyResources.validateSelector(spec["podSelector"], "spec.podSelector", &validator) }
            for (direction, peersKey) in [("ingress", "from"), ("egress", "to")] {
                for (index, rule) in (spec[direction].array ?? []).enumerated() {
                    let path = "spec.\(direction)[\(index)]"
                    for (portIndex, port) in (rule["ports"].array ?? []).enumerated() {
                        validatePort(port, "\(path).ports[\(portIndex)]", &validator)
                    }
                    for (peerIndex, peer) in (rule[peersKey].array ?? []).enumerated() {
                        validatePeer(peer, "\(path).\(peersKey)[\(peerIndex)]", &validator)
                    }
                }
            }
            let types = spec["policyTypes"].array ?? []
            for (index, type) in types.enumerated() {
                validator.string(type, "spec.policyTypes[\(index)]", oneOf: NetworkPolicy.PolicyType.allCases.map(\.rawValue))
            }
            if types.count > 2 { validator.fail("spec.policyTypes", "Invalid value: may not specify more than two policyTypes") }
        })

    static func validatePort(_ port: JSON, _ path: String, _ validator: inout Validator) {
        validator.string(port["protocol"], "\(path).protocol", oneOf: ["TCP", "UDP", "SCTP"])
        switch port["port"] {
        case .null: break
        case .string(let name):
            if let problem = portNameProblem(name) { validator.fail("\(path).port", "Invalid value: \"\(name)\": \(problem)") }
        default: validator.integer(port["port"], "\(path).port", in: 1...65535)
        }
        guard !port["endPort"].isNull else { return }
        guard let endPort = port["endPort"].int else { return validator.fail("\(path).endPort", "Invalid value: must be an integer") }
        switch port["port"] {
        case .null: validator.fail("\(path).port", "Required value: must be specified when `endPort` is specified")
        case .string: validator.fail("\(path).endPort", "Forbidden: may not be specified when `port` is non-numeric")
        default:
            if let start = port["port"].int, endPort < start {
                validator.fail("\(path).endPort", "Invalid value: \(endPort): must be greater than or equal to `port`")
            } else {
                validator.integer(port["endPort"], "\(path).endPort", in: 1...65535)
            }
        }
    }

    static func validatePeer(_ peer: JSON, _ path: String, _ validator: inout Validator) {
        let kinds = ["podSelector", "namespaceSelector", "ipBlock"].filter { !peer[$0].isNull }
        if kinds.isEmpty { return validator.fail(path, "Required value: must specify a peer") }
        if kinds.contains("ipBlock") && kinds.count > 1 { return validator.fail(path, "Forbidden: may not specify more than 1 peer type") }
        for key in ["podSelector", "namespaceSelector"] where !peer[key].isNull {
            PolicyResources.validateSelector(peer[key], "\(path).\(key)", &validator)
        }
        guard !peer["ipBlock"].isNull else { return }
        let block = peer["ipBlock"]
        guard let text = block["cidr"].string, !text.isEmpty else { return validator.fail("\(path).ipBlock.cidr", "Required value") }
        guard let cidr = CIDR(text) else {
            return validator.fail("\(path).ipBlock.cidr", "Invalid value: \"\(text)\": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)")
        }
        for (index, entry) in (block["except"].array ?? []).enumerated() {
            let field = "\(path).ipBlock.except[\(index)]"
            guard let exceptText = entry.string, let except = CIDR(exceptText) else {
                validator.fail(field, "Invalid value: \(entry.serialized): must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)")
                continue
            }
            if !cidr.contains(except) || except.prefixLength == cidr.prefixLength {
                validator.fail(field, "Invalid value: \"\(exceptText)\": must be a strict subset of `cidr`")
            }
        }
    }

    /// Kubernetes' IANA service name rule for named ports (IsValidPortName).
    static func portNameProblem(_ name: String) -> String? {
        if name.isEmpty || name.count > 15 { return "must be no more than 15 characters" }
        if !name.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }) {
            return "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)"
        }
        if !name.contains(where: { ("a"..."z").contains($0) }) { return "must contain at least one letter (a-z)" }
        if name.hasPrefix("-") || name.hasSuffix("-") || name.contains("--") {
            return "must not begin or end with a hyphen, or contain adjacent hyphens"
        }
        return nil
    }
}
