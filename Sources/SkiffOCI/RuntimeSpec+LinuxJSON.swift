import SkiffJSON

// The `linux` section ↔ JSON (see RuntimeSpec+JSON.swift for why by hand).

extension RuntimeSpec.Linux: JSONDecodable, JSONEncodable {
    public init(json: JSONField) throws(JSONShapeError) {
        uidMappings = try json.optional("uidMappings")
        gidMappings = try json.optional("gidMappings")
        sysctl = try json.optional("sysctl")
        resources = try json.optional("resources")
        cgroupsPath = try json.optional("cgroupsPath")
        namespaces = try json.optional("namespaces")
        devices = try json.optional("devices")
        seccomp = try json.optional("seccomp")
        rootfsPropagation = try json.optional("rootfsPropagation")
        maskedPaths = try json.optional("maskedPaths")
        readonlyPaths = try json.optional("readonlyPaths")
        mountLabel = try json.optional("mountLabel")
    }

    public var json: JSON {
        var fields: [String: JSON] = [:]
        fields["uidMappings"] = uidMappings?.json
        fields["gidMappings"] = gidMappings?.json
        fields["sysctl"] = sysctl?.json
        fields["resources"] = resources?.json
        fields["cgroupsPath"] = cgroupsPath?.json
        fields["namespaces"] = namespaces?.json
        fields["devices"] = devices?.json
        fields["seccomp"] = seccomp?.json
        fields["rootfsPropagation"] = rootfsPropagation?.json
        fields["maskedPaths"] = maskedPaths?.json
        fields["readonlyPaths"] = readonlyPaths?.json
        fields["mountLabel"] = mountLabel?.json
        return .object(fields)
    }
}

extension RuntimeSpec.IDMapping: JSONDecodable, JSONEncodable {
    public init(json: JSONField) throws(JSONShapeError) {
        containerID = try json.required("containerID")
        hostID = try json.required("hostID")
        size = try json.required("size")
    }

    public var json: JSON { ["containerID": containerID.json, "hostID": hostID.json, "size": size.json] }
}

extension RuntimeSpec.Namespace: JSONDecodable, JSONEncodable {
    public init(json: JSONField) throws(JSONShapeError) {
        type = try json.required("type")
        path = try json.optional("path")
    }

    public var json: JSON {
        var fields: [String: JSON] = ["type": .string(type)]
        fields["path"] = path?.json
        return .object(fields)
    }
}

extension RuntimeSpec.Device: JSONDecodable, JSONEncodable {
    public init(json: JSONField) throws(JSONShapeError) {
        type = try json.required("type")
        path = try json.required("path")
        major = try json.optional("major")
        minor = try json.optional("minor")
        fileMode = try json.optional("fileMode")
        uid = try json.optional("uid")
        gid = try json.optional("gid")
    }

    public var json: JSON {
        var fields: [String: JSON] = ["type": .string(type), "path": .string(path)]
        fields["major"] = major?.json
        fields["minor"] = minor?.json
        fields["fileMode"] = fileMode?.json
        fields["uid"] = uid?.json
        fields["gid"] = gid?.json
        return .object(fields)
    }
}

extension RuntimeSpec.Seccomp: JSONDecodable, JSONEncodable {
    public init(json: JSONField) throws(JSONShapeError) {
        defaultAction = try json.required("defaultAction")
        defaultErrnoRet = try json.optional("defaultErrnoRet")
        architectures = try json.optional("architectures")
        flags = try json.optional("flags")
        syscalls = try json.optional("syscalls")
    }

    public var json: JSON {
        var fields: [String: JSON] = ["defaultAction": .string(defaultAction)]
        fields["defaultErrnoRet"] = defaultErrnoRet?.json
        fields["architectures"] = architectures?.json
        fields["flags"] = flags?.json
        fields["syscalls"] = syscalls?.json
        return .object(fields)
    }
}

extension RuntimeSpec.Seccomp.Syscall: JSONDecodable, JSONEncodable {
    public init(json: JSONField) throws(JSONShapeError) {
        names = try json.required("names")
        action = try json.required("action")
        errnoRet = try json.optional("errnoRet")
        args = try json.optional("args")
    }

    public var json: JSON {
        var fields: [String: JSON] = ["names": names.json, "action": .string(action)]
        fields["errnoRet"] = errnoRet?.json
        fields["args"] = args?.json
        return .object(fields)
    }
}

extension RuntimeSpec.Seccomp.Arg: JSONDecodable, JSONEncodable {
    public init(json: JSONField) throws(JSONShapeError) {
        index = try json.required("index")
        value = try json.required("value")
        valueTwo = try json.optional("valueTwo")
        op = try json.required("op")
    }

    public var json: JSON {
        var fields: [String: JSON] = ["index": index.json, "value": value.json, "op": .string(op)]
        fields["valueTwo"] = valueTwo?.json
        return .object(fields)
    }
}

extension RuntimeSpec.Resources: JSONDecodable, JSONEncodable {
    public init(json: JSONField) throws(JSONShapeError) {
        devices = try json.optional("devices")
        memory = try json.optional("memory")
        cpu = try json.optional("cpu")
        pids = try json.optional("pids")
        blockIO = try json.optional("blockIO")
        hugepageLimits = try json.optional("hugepageLimits")
        unified = try json.optional("unified")
    }

    public var json: JSON {
        var fields: [String: JSON] = [:]
        fields["devices"] = devices?.json
        fields["memory"] = memory?.json
        fields["cpu"] = cpu?.json
        fields["pids"] = pids?.json
        fields["blockIO"] = blockIO?.json
        fields["hugepageLimits"] = hugepageLimits?.json
        fields["unified"] = unified?.json
        return .object(fields)
    }
}

extension RuntimeSpec.DeviceRule: JSONDecodable, JSONEncodable {
    public init(json: JSONField) throws(JSONShapeError) {
        allow = try json.required("allow")
        type = try json.optional("type")
        major = try json.optional("major")
        minor = try json.optional("minor")
        access = try json.optional("access")
    }

    public var json: JSON {
        var fields: [String: JSON] = ["allow": .bool(allow)]
        fields["type"] = type?.json
        fields["major"] = major?.json
        fields["minor"] = minor?.json
        fields["access"] = access?.json
        return .object(fields)
    }
}

extension RuntimeSpec.Memory: JSONDecodable, JSONEncodable {
    public init(json: JSONField) throws(JSONShapeError) {
        limit = try json.optional("limit")
        reservation = try json.optional("reservation")
        swap = try json.optional("swap")
        swappiness = try json.optional("swappiness")
        disableOOMKiller = try json.optional("disableOOMKiller")
    }

    public var json: JSON {
        var fields: [String: JSON] = [:]
        fields["limit"] = limit?.json
        fields["reservation"] = reservation?.json
        fields["swap"] = swap?.json
        fields["swappiness"] = swappiness?.json
        fields["disableOOMKiller"] = disableOOMKiller?.json
        return .object(fields)
    }
}

extension RuntimeSpec.CPU: JSONDecodable, JSONEncodable {
    public init(json: JSONField) throws(JSONShapeError) {
        shares = try json.optional("shares")
        quota = try json.optional("quota")
        burst = try json.optional("burst")
        period = try json.optional("period")
        cpus = try json.optional("cpus")
        mems = try json.optional("mems")
        idle = try json.optional("idle")
        realtimeRuntime = try json.optional("realtimeRuntime")
        realtimePeriod = try json.optional("realtimePeriod")
    }

    public var json: JSON {
        var fields: [String: JSON] = [:]
        fields["shares"] = shares?.json
        fields["quota"] = quota?.json
        fields["burst"] = burst?.json
        fields["period"] = period?.json
        fields["cpus"] = cpus?.json
        fields["mems"] = mems?.json
        fields["idle"] = idle?.json
        fields["realtimeRuntime"] = realtimeRuntime?.json
        fields["realtimePeriod"] = realtimePeriod?.json
        return .object(fields)
    }
}

extension RuntimeSpec.Pids: JSONDecodable, JSONEncodable {
    public init(json: JSONField) throws(JSONShapeError) {
        limit = try json.required("limit")
    }

    public var json: JSON { ["limit": limit.json] }
}

extension RuntimeSpec.BlockIO: JSONDecodable, JSONEncodable {
    public init(json: JSONField) throws(JSONShapeError) {
        weight = try json.optional("weight")
        leafWeight = try json.optional("leafWeight")
        weightDevice = try json.optional("weightDevice")
        throttleReadBpsDevice = try json.optional("throttleReadBpsDevice")
        throttleWriteBpsDevice = try json.optional("throttleWriteBpsDevice")
        throttleReadIOPSDevice = try json.optional("throttleReadIOPSDevice")
        throttleWriteIOPSDevice = try json.optional("throttleWriteIOPSDevice")
    }

    public var json: JSON {
        var fields: [String: JSON] = [:]
        fields["weight"] = weight?.json
        fields["leafWeight"] = leafWeight?.json
        fields["weightDevice"] = weightDevice?.json
        fields["throttleReadBpsDevice"] = throttleReadBpsDevice?.json
        fields["throttleWriteBpsDevice"] = throttleWriteBpsDevice?.json
        fields["throttleReadIOPSDevice"] = throttleReadIOPSDevice?.json
        fields["throttleWriteIOPSDevice"] = throttleWriteIOPSDevice?.json
        return .object(fields)
    }
}

extension RuntimeSpec.WeightDevice: JSONDecodable, JSONEncodable {
    public init(json: JSONField) throws(JSONShapeError) {
        major = try json.required("major")
        minor = try json.required("minor")
        weight = try json.optional("weight")
        leafWeight = try json.optional("leafWeight")
    }

    public var json: JSON {
        var fields: [String: JSON] = ["major": major.json, "minor": minor.json]
        fields["weight"] = weight?.json
        fields["leafWeight"] = leafWeight?.json
        return .object(fields)
    }
}

extension RuntimeSpec.ThrottleDevice: JSONDecodable, JSONEncodable {
    public init(json: JSONField) throws(JSONShapeError) {
        major = try json.required("major")
        minor = try json.required("minor")
        rate = try json.required("rate")
    }

    public var json: JSON { ["major": major.json, "minor": minor.json, "rate": rate.json] }
}

extension RuntimeSpec.HugepageLimit: JSONDecodable, JSONEncodable {
    public init(json: JSONField) throws(JSONShapeError) {
        pageSize = try json.required("pageSize")
        limit = try json.required("limit")
    }

    public var json: JSON { ["pageSize": .string(pageSize), "limit": limit.json] }
}
