extension ClusterDNSRecords {
    private static let reverseZones = [
        DNSName(validatedLabels: [Array("in-addr".utf8), Array("arpa".utf8)]),
        DNSName(validatedLabels: [Array("ip6".utf8), Array("arpa".utf8)]),
    ]

    /// The answer to `question` from this snapshot, or nil when the name is not the cluster's:
    /// outside the zone, or a reverse name of an address no Service or endpoint has (those go
    /// to the upstream resolvers, like CoreDNS's `fallthrough in-addr.arpa ip6.arpa`).
    public func answer(_ question: DNSQuestion) -> ClusterDNSAnswer? {
        if question.name.isSubdomain(of: zone) {
            guard question.questionClass == DNSClass.internet || question.questionClass == DNSClass.any else {
                return ClusterDNSAnswer(code: .refused)
            }
            return zoneAnswer(question)
        }
        guard Self.reverseZones.contains(where: question.name.isSubdomain(of:)), let target = pointers[question.name.key] else { return nil }
        var answer = ClusterDNSAnswer(code: .noError)
        if question.type == .ptr || question.type == .any {
            answer.answers = [DNSResourceRecord(name: question.name, type: .ptr, ttl: ttl, data: .name(target))]
        }
        return answer
    }

    private func zoneAnswer(_ question: DNSQuestion) -> ClusterDNSAnswer {
        var answer = ClusterDNSAnswer(code: .noError)
        var owner = question.name
        // An ExternalName pointing at another cluster name is followed here; at most 8 steps
        // so a loop of ExternalNames cannot spin.
        for _ in 0..<8 {
            guard let node = node(at: owner) else {
                if answer.answers.isEmpty {
                    answer.code = .nameError
                    answer.authority = [startOfAuthority]
                }
                return answer
            }
            if let target = node.canonicalName {
                answer.answers.append(DNSResourceRecord(name: owner, type: .cname, ttl: ttl, data: .name(target)))
                if question.type == .cname { return answer }
                guard target.isSubdomain(of: zone) else {
                    answer.externalTarget = target
                    return answer
                }
                owner = target
                continue
            }
            let records = self.records(of: node, at: owner, type: question.type)
            answer.answers += records
            if records.isEmpty, answer.answers.isEmpty { answer.authority = [startOfAuthority] }
            for record in records {
                guard case .srv(let srv) = record.data, let target = self.node(at: srv.target) else { continue }
                answer.additional += target.addresses.map { DNSResourceRecord.a(srv.target, $0, ttl: ttl) }
            }
            return answer
        }
        return answer
    }

    private func node(at name: DNSName) -> ClusterDNSNode? {
        if let node = nodes[name.key] { return node }
        return podNode(at: name)
    }

    /// `a-b-c-d.<namespace>.pod.<zone>` → the address itself (any namespace).
    private func podNode(at name: DNSName) -> ClusterDNSNode? {
        let labels = name.lowercasedLabels(before: zone)
        guard labels.count >= 2, labels.last == "pod" else { return nil }
        if labels.count == 2 { return ClusterDNSNode() }
        guard labels.count == 3, let address = IPAddress(dashed: labels[0]) else { return nil }
        return ClusterDNSNode(addresses: [address])
    }

    private func records(of node: ClusterDNSNode, at owner: DNSName, type: DNSRecordType) -> [DNSResourceRecord] {
        var records: [DNSResourceRecord] = []
        let any = type == .any
        if type == .a || type == .aaaa || any {
            for address in node.addresses where any || address.isIPv4 == (type == .a) {
                records.append(.a(owner, address, ttl: ttl))
            }
        }
        if type == .srv || any {
            records += node.services.map { DNSResourceRecord(name: owner, type: .srv, ttl: ttl, data: .srv($0)) }
        }
        if type == .txt || any, !node.text.isEmpty {
            records.append(DNSResourceRecord(name: owner, type: .txt, ttl: ttl, data: .text(node.text)))
        }
        if owner.labels.count == zone.labels.count {
            if type == .soa || any {
                var soa = startOfAuthority
                soa.name = owner
                records.append(soa)
            }
            if type == .ns || any { records.append(DNSResourceRecord(name: owner, type: .ns, ttl: ttl, data: .name(nameserverName))) }
        }
        return records
    }
}
