import SkiffJSON

extension StatsHistory.PodHistory {
    /// `/stats/history/{namespace}/{pod}`: the pod's series and each container's, each with
    /// its 10 s and 1 min resolutions as parallel arrays (oldest first; `null` for an interval
    /// without a sample), the start of the first interval, the step, and the limits.
    public var json: JSON {
        var containers: [JSON] = []
        for (name, series) in self.containers.sorted(by: { $0.key < $1.key }) {
            containers.append(series.json(container: name))
        }
        return JSON(omittingNils: [
            ("namespace", .string(namespace)), ("name", .string(name)), ("uid", .string(uid)),
            ("pod", pod.json(container: nil)), ("containers", .array(containers)),
        ])
    }

    public var jsonText: String { json.serialized }
}

extension SeriesHistory {
    func json(container: String?) -> JSON {
        var coarsePoints = coarse.points
        var coarseStart = coarse.oldestIndex
        // The minute being filled, so the day view reaches the present.
        if let current = currentMinute {
            let newest = coarse.newestIndex ?? (current.index - 1)
            coarsePoints += [HistoryPoint](repeating: .missing, count: Int(max(0, min(current.index - newest - 1, Int64(Self.coarseCapacity)))))
            coarsePoints.append(current.point)
            coarsePoints = Array(coarsePoints.suffix(Self.coarseCapacity))
            coarseStart = current.index - Int64(coarsePoints.count) + 1
        }
        return JSON(omittingNils: [
            ("container", container.map(JSON.string)),
            ("memoryLimitBytes", memoryLimitBytes.map { .uint($0) }),
            ("cpuLimitMillicores", cpuLimitMillicores.map { .uint($0) }),
            (
                "resolutions",
                .array([Self.json(fine.points, start: fine.oldestIndex, step: fine.step), Self.json(coarsePoints, start: coarseStart, step: coarse.step)])
            ),
        ])
    }

    static func json(_ points: [HistoryPoint], start: Int64?, step: Int64) -> JSON {
        func column(_ value: (HistoryPoint) -> UInt64) -> JSON {
            .array(points.map { $0.isMissing ? .null : .uint(value($0)) })
        }
        return JSON(omittingNils: [
            ("stepSeconds", .int(step)),
            // Unix seconds of the first interval's start; absent while empty.
            ("start", start.map { .int($0 * step) }),
            ("cpuMillicores", column { UInt64($0.cpuMillicores) }),
            ("cfsPeriods", column { UInt64($0.periods) }),
            ("cfsThrottledPeriods", column { UInt64($0.throttledPeriods) }),
            ("memoryWorkingSetBytes", column { UInt64($0.workingSetKiB) * 1024 }),
            // Hundredths of a percent of the interval (10000 = stalled throughout).
            ("psiCPUSome", column { UInt64($0.cpuSome) }), ("psiCPUFull", column { UInt64($0.cpuFull) }),
            ("psiMemorySome", column { UInt64($0.memorySome) }), ("psiMemoryFull", column { UInt64($0.memoryFull) }),
            ("psiIOSome", column { UInt64($0.ioSome) }), ("psiIOFull", column { UInt64($0.ioFull) }),
            ("oomKills", column { UInt64($0.oomKills) }), ("restarts", column { UInt64($0.restarts) }),
        ])
    }
}
