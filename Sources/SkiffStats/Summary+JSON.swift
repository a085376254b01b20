import SkiffJSON

extension Summary {
    /// The JSON the kubelet serves at /stats/summary.
    public var json: JSON {
        JSON(omittingNils: [("node", node.json), ("pods", .array(pods.map(\.json)))])
    }

    /// `json` as compact text.
    public var jsonText: String { json.serialized }
}

private func rfc3339(_ timestamp: StatsTime) -> JSON { .string(timestamp.rfc3339) }
/// Counters above `Int64.max` become `.uint`, so every value prints exactly.
private func unsigned(_ value: UInt64?) -> JSON? { value?.json }
private func signed(_ value: Int64?) -> JSON? { value.map(JSON.int) }
/// NaN and infinities, which JSON cannot carry, as 0.
private func number(_ value: Double) -> JSON { value.isFinite ? .double(value) : .int(0) }
private func list<T>(_ values: [T], _ body: (T) -> JSON) -> JSON? { values.isEmpty ? nil : .array(values.map(body)) }

extension Summary.NodeStats {
    var json: JSON {
        JSON(omittingNils: [
            ("nodeName", .string(nodeName)), ("systemContainers", list(systemContainers, \.json)),
            ("startTime", rfc3339(startTime)), ("cpu", cpu?.json), ("memory", memory?.json), ("io", io?.json),
            ("network", network?.json), ("fs", fs?.json), ("runtime", runtime?.json), ("rlimit", rlimit?.json),
            ("swap", swap?.json),
        ])
    }
}

extension Summary.PodStats {
    var json: JSON {
        JSON(omittingNils: [
            ("podRef", ["name": .string(podRef.name), "namespace": .string(podRef.namespace), "uid": .string(podRef.uid)]),
            ("startTime", rfc3339(startTime)),
            // Not omitempty in the kubelet's type: an empty list is [] there.
            ("containers", .array(containers.map(\.json))),
            ("cpu", cpu?.json), ("memory", memory?.json), ("io", io?.json), ("network", network?.json),
            ("ephemeral-storage", ephemeralStorage?.json),
            ("process_stats", processStats.map { JSON(omittingNils: [("process_count", unsigned($0.processCount))]) }),
            ("swap", swap?.json),
        ])
    }
}

extension Summary.ContainerStats {
    var json: JSON {
        JSON(omittingNils: [
            ("name", .string(name)), ("startTime", rfc3339(startTime)), ("cpu", cpu?.json), ("memory", memory?.json),
            ("io", io?.json), ("rootfs", rootfs?.json), ("logs", logs?.json), ("swap", swap?.json),
        ])
    }
}

extension Summary.CPUStats {
    var json: JSON {
        JSON(omittingNils: [
            ("time", rfc3339(self.time)), ("usageNanoCores", unsigned(usageNanoCores)),
            ("usageCoreNanoSeconds", unsigned(usageCoreNanoSeconds)), ("psi", psi?.json),
        ])
    }
}

extension Summary.MemoryStats {
    var json: JSON {
        JSON(omittingNils: [
            ("time", rfc3339(self.time)), ("availableBytes", unsigned(availableBytes)), ("usageBytes", unsigned(usageBytes)),
            ("workingSetBytes", unsigned(workingSetBytes)), ("rssBytes", unsigned(rssBytes)),
            ("pageFaults", unsigned(pageFaults)), ("majorPageFaults", unsigned(majorPageFaults)), ("psi", psi?.json),
        ])
    }
}

extension Summary.IOStats {
    var json: JSON { JSON(omittingNils: [("time", rfc3339(self.time)), ("psi", psi?.json)]) }
}

extension Summary.SwapStats {
    var json: JSON {
        JSON(omittingNils: [("time", rfc3339(self.time)), ("swapAvailableBytes", unsigned(swapAvailableBytes)), ("swapUsageBytes", unsigned(swapUsageBytes))])
    }
}

extension PSIStats {
    var json: JSON { JSON(omittingNils: [("full", full.json), ("some", some.json)]) }
}

extension PSIData {
    var json: JSON {
        JSON(omittingNils: [("total", total.json), ("avg10", number(avg10)), ("avg60", number(avg60)), ("avg300", number(avg300))])
    }
}

extension Summary.InterfaceStats {
    /// The members only, so NetworkStats can inline the default interface's.
    var members: [(String, JSON?)] {
        [
            ("name", .string(name)), ("rxBytes", unsigned(rxBytes)), ("rxErrors", unsigned(rxErrors)),
            ("txBytes", unsigned(txBytes)), ("txErrors", unsigned(txErrors)),
        ]
    }
}

extension Summary.NetworkStats {
    var json: JSON {
        JSON(
            omittingNils: [("time", rfc3339(self.time))] + (defaultInterface?.members ?? [])
                + [("interfaces", list(interfaces) { JSON(omittingNils: $0.members) })])
    }
}

extension Summary.FsStats {
    var json: JSON {
        JSON(omittingNils: [
            ("time", rfc3339(self.time)), ("availableBytes", unsigned(availableBytes)), ("capacityBytes", unsigned(capacityBytes)),
            ("usedBytes", unsigned(usedBytes)), ("inodesFree", unsigned(inodesFree)), ("inodes", unsigned(inodes)),
            ("inodesUsed", unsigned(inodesUsed)),
        ])
    }
}

extension Summary.RuntimeStats {
    var json: JSON { JSON(omittingNils: [("imageFs", imageFs?.json), ("containerFs", containerFs?.json)]) }
}

extension Summary.RlimitStats {
    var json: JSON { JSON(omittingNils: [("time", rfc3339(self.time)), ("maxpid", signed(maxpid)), ("curproc", signed(curproc))]) }
}
