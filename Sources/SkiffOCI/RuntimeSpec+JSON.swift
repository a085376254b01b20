import SkiffJSON

// config.json ↔ the model, by hand rather than Codable: every Codable type costs the Swift
// runtime a scan of all the binary's protocol conformances the first time it is decoded, and
// the runtime and its re-executed init each start with cold caches. Unknown fields are
// ignored, missing optional fields are nil, and nil fields are left out when writing.

extension RuntimeSpec: JSONDecodable, JSONEncodable {
    public init(json: JSONField) throws(JSONShapeError) {
        ociVersion = try json.required("ociVersion")
        process = try json.optional("process")
        root = try json.optional("root")
        hostname = try json.optional("hostname")
        domainname = try json.optional("domainname")
        mounts = try json.optional("mounts")
        hooks = try json.optional("hooks")
        annotations = try json.optional("annotations")
        linux = try json.optional("linux")
    }

    public var json: JSON {
        var fields: [String: JSON] = ["ociVersion": .string(ociVersion)]
        fields["process"] = process?.json
        fields["root"] = root?.json
        fields["hostname"] = hostname?.json
        fields["domainname"] = domainname?.json
        fields["mounts"] = mounts?.json
        fields["hooks"] = hooks?.json
        fields["annotations"] = annotations?.json
        fields["linux"] = linux?.json
        return .object(fields)
    }
}

extension RuntimeSpec.Process: JSONDecodable, JSONEncodable {
    public init(json: JSONField) throws(JSONShapeError) {
        terminal = try json.optional("terminal")
        consoleSize = try json.optional("consoleSize")
        user = try json.required("user")
        args = try json.optional("args")
        env = try json.optional("env")
        cwd = try json.required("cwd")
        capabilities = try json.optional("capabilities")
        rlimits = try json.optional("rlimits")
        noNewPrivileges = try json.optional("noNewPrivileges")
        apparmorProfile = try json.optional("apparmorProfile")
        oomScoreAdj = try json.optional("oomScoreAdj")
        selinuxLabel = try json.optional("selinuxLabel")
    }

    public var json: JSON {
        var fields: [String: JSON] = ["user": user.json, "cwd": .string(cwd)]
        fields["terminal"] = terminal?.json
        fields["consoleSize"] = consoleSize?.json
        fields["args"] = args?.json
        fields["env"] = env?.json
        fields["capabilities"] = capabilities?.json
        fields["rlimits"] = rlimits?.json
        fields["noNewPrivileges"] = noNewPrivileges?.json
        fields["apparmorProfile"] = apparmorProfile?.json
        fields["oomScoreAdj"] = oomScoreAdj?.json
        fields["selinuxLabel"] = selinuxLabel?.json
        return .object(fields)
    }
}

extension RuntimeSpec.ConsoleSize: JSONDecodable, JSONEncodable {
    public init(json: JSONField) throws(JSONShapeError) {
        height = try json.required("height")
        width = try json.required("width")
    }

    public var json: JSON { ["height": height.json, "width": width.json] }
}

extension RuntimeSpec.User: JSONDecodable, JSONEncodable {
    public init(json: JSONField) throws(JSONShapeError) {
        uid = try json.required("uid")
        gid = try json.required("gid")
        umask = try json.optional("umask")
        additionalGids = try json.optional("additionalGids")
        username = try json.optional("username")
    }

    public var json: JSON {
        var fields: [String: JSON] = ["uid": uid.json, "gid": gid.json]
        fields["umask"] = umask?.json
        fields["additionalGids"] = additionalGids?.json
        fields["username"] = username?.json
        return .object(fields)
    }
}

extension RuntimeSpec.Capabilities: JSONDecodable, JSONEncodable {
    public init(json: JSONField) throws(JSONShapeError) {
        bounding = try json.optional("bounding")
        effective = try json.optional("effective")
        inheritable = try json.optional("inheritable")
        permitted = try json.optional("permitted")
        ambient = try json.optional("ambient")
    }

    public var json: JSON {
        var fields: [String: JSON] = [:]
        fields["bounding"] = bounding?.json
        fields["effective"] = effective?.json
        fields["inheritable"] = inheritable?.json
        fields["permitted"] = permitted?.json
        fields["ambient"] = ambient?.json
        return .object(fields)
    }
}

extension RuntimeSpec.Rlimit: JSONDecodable, JSONEncodable {
    public init(json: JSONField) throws(JSONShapeError) {
        type = try json.required("type")
        hard = try json.required("hard")
        soft = try json.required("soft")
    }

    public var json: JSON { ["type": .string(type), "hard": hard.json, "soft": soft.json] }
}

extension RuntimeSpec.Root: JSONDecodable, JSONEncodable {
    public init(json: JSONField) throws(JSONShapeError) {
        path = try json.required("path")
        readonly = try json.optional("readonly")
    }

    public var json: JSON {
        var fields: [String: JSON] = ["path": .string(path)]
        fields["readonly"] = readonly?.json
        return .object(fields)
    }
}

extension RuntimeSpec.Mount: JSONDecodable, JSONEncodable {
    public init(json: JSONField) throws(JSONShapeError) {
        destination = try json.required("destination")
        type = try json.optional("type")
        source = try json.optional("source")
        options = try json.optional("options")
    }

    public var json: JSON {
        var fields: [String: JSON] = ["destination": .string(destination)]
        fields["type"] = type?.json
        fields["source"] = source?.json
        fields["options"] = options?.json
        return .object(fields)
    }
}

extension RuntimeSpec.Hooks: JSONDecodable, JSONEncodable {
    public init(json: JSONField) throws(JSONShapeError) {
        prestart = try json.optional("prestart")
        createRuntime = try json.optional("createRuntime")
        createContainer = try json.optional("createContainer")
        startContainer = try json.optional("startContainer")
        poststart = try json.optional("poststart")
        poststop = try json.optional("poststop")
    }

    public var json: JSON {
        var fields: [String: JSON] = [:]
        fields["prestart"] = prestart?.json
        fields["createRuntime"] = createRuntime?.json
        fields["createContainer"] = createContainer?.json
        fields["startContainer"] = startContainer?.json
        fields["poststart"] = poststart?.json
        fields["poststop"] = poststop?.json
        return .object(fields)
    }
}

extension RuntimeSpec.Hook: JSONDecodable, JSONEncodable {
    public init(json: JSONField) throws(JSONShapeError) {
        path = try json.required("path")
        args = try json.optional("args")
        env = try json.optional("env")
        timeout = try json.optional("timeout")
    }

    public var json: JSON {
        var fields: [String: JSON] = ["path": .string(path)]
        fields["args"] = args?.json
        fields["env"] = env?.json
        fields["timeout"] = timeout?.json
        return .object(fields)
    }
}
