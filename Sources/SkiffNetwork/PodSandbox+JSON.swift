import SkiffJSON

// The keys are the property names, as the Codable records written before used, so a record
// left by an older agent still tears down.

extension PodSandbox: JSONDecodable, JSONEncodable {
    public init(json: JSONField) throws(JSONShapeError) {
        podUID = try json.required("podUID")
        hostNetwork = try json.required("hostNetwork")
        podIP = try json.optional("podIP")
        gateway = try json.optional("gateway")
        networkNamespacePath = try json.optional("networkNamespacePath")
        ipcNamespacePath = try json.required("ipcNamespacePath")
        utsNamespacePath = try json.optional("utsNamespacePath")
        hostsPath = try json.required("hostsPath")
        resolvConfPath = try json.required("resolvConfPath")
        hostnamePath = try json.required("hostnamePath")
        hostname = try json.required("hostname")
        directory = try json.required("directory")
    }

    public var json: JSON {
        JSON(omittingNils: [
            ("podUID", .string(podUID)), ("hostNetwork", .bool(hostNetwork)), ("podIP", podIP?.json),
            ("gateway", gateway?.json), ("networkNamespacePath", networkNamespacePath?.json),
            ("ipcNamespacePath", .string(ipcNamespacePath)), ("utsNamespacePath", utsNamespacePath?.json),
            ("hostsPath", .string(hostsPath)), ("resolvConfPath", .string(resolvConfPath)),
            ("hostnamePath", .string(hostnamePath)), ("hostname", .string(hostname)), ("directory", .string(directory)),
        ])
    }
}

extension SandboxRecord: JSONDecodable, JSONEncodable {
    init(json: JSONField) throws(JSONShapeError) {
        let phaseName: String = try json.required("phase")
        guard let phase = Phase(rawValue: phaseName) else {
            throw JSONShapeError(path: "phase", problem: "unknown phase \(JSON.quoted(phaseName))")
        }
        self.phase = phase
        namespace = try json.required("namespace")
        name = try json.required("name")
        containerID = try json.required("containerID")
        interfaceName = try json.required("interfaceName")
        conflist = try json.optional("conflist")
        runtimeConfig = try json.optional("runtimeConfig")
        result = try json.optional("result")
        sandbox = try json.required("sandbox")
    }

    var json: JSON {
        JSON(omittingNils: [
            ("phase", .string(phase.rawValue)), ("namespace", .string(namespace)), ("name", .string(name)),
            ("containerID", .string(containerID)), ("interfaceName", .string(interfaceName)),
            ("conflist", conflist), ("runtimeConfig", runtimeConfig), ("result", result), ("sandbox", sandbox.json),
        ])
    }
}
