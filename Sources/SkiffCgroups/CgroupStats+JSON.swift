import SkiffJSON

// `events --stats` JSON, by hand (no Codable in the runtime: see SkiffOCI/RuntimeSpec+JSON.swift).
// Nil fields are left out, as runc does.

extension CgroupStats: JSONEncodable {
    public var json: JSON {
        var fields: [String: JSON] = ["cpu": cpu.json, "memory": memory.json, "pids": pids.json]
        fields["pressure"] = pressure?.json
        return .object(fields)
    }
}

extension CgroupStats.CPU: JSONEncodable {
    public var json: JSON { ["usage": usage.json, "throttling": throttling.json] }
}

extension CgroupStats.CPU.Usage: JSONEncodable {
    public var json: JSON {
        var fields: [String: JSON] = ["total": total.json, "kernel": kernel.json, "user": user.json]
        fields["percpu"] = percpu?.json
        return .object(fields)
    }
}

extension CgroupStats.CPU.Throttling: JSONEncodable {
    public var json: JSON {
        var fields: [String: JSON] = [:]
        fields["periods"] = periods?.json
        fields["throttled_periods"] = throttledPeriods?.json
        fields["throttled_time"] = throttledTime?.json
        return .object(fields)
    }
}

extension CgroupStats.Memory: JSONEncodable {
    public var json: JSON {
        var fields: [String: JSON] = [
            "usage": usage.json, "working_set": workingSet.json, "rss": rss.json, "cache": cache.json,
            "oom_kill": oomKill.json, "raw": raw.json,
        ]
        fields["swap"] = swap?.json
        return .object(fields)
    }
}

extension CgroupStats.Memory.Entry: JSONEncodable {
    public var json: JSON {
        var fields: [String: JSON] = ["usage": usage.json]
        fields["max"] = max?.json
        fields["limit"] = limit?.json
        fields["failcnt"] = failcnt?.json
        return .object(fields)
    }
}

extension CgroupStats.Pids: JSONEncodable {
    public var json: JSON {
        var fields: [String: JSON] = ["current": current.json]
        fields["limit"] = limit?.json
        return .object(fields)
    }
}

extension CgroupStats.Pressure: JSONEncodable {
    public var json: JSON {
        var fields: [String: JSON] = [:]
        fields["cpu"] = cpu?.json
        fields["memory"] = memory?.json
        fields["io"] = io?.json
        return .object(fields)
    }
}

extension CgroupStats.PSI: JSONEncodable {
    public var json: JSON {
        var fields: [String: JSON] = ["some": some.json]
        fields["full"] = full?.json
        return .object(fields)
    }
}

extension CgroupStats.PSILine: JSONEncodable {
    public var json: JSON {
        ["avg10": avg10.json, "avg60": avg60.json, "avg300": avg300.json, "total": total.json]
    }
}
