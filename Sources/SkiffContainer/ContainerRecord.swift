import SkiffCgroups
import SkiffJSON
import SkiffOCI
import SkiffSystem

/// What the runtime remembers about a container between invocations (state.json).
public struct ContainerRecord: Sendable {
    public var id: String
    public var bundle: String
    public var rootfs: String
    /// The container's first process, as the host sees it.
    public var pid: Int32
    /// Its start time, so a recycled pid is never mistaken for the container.
    public var pidStartTime: UInt64?
    public var created: String
    public var cgroupPath: String
    public var hierarchy: Hierarchy
    public var spec: RuntimeSpec

    /// The cgroup layout recorded at create time, so later commands use the same driver.
    public enum Hierarchy: Sendable {
        case unified(mountPoint: String)
        case legacy(mountPoints: [String: String])

        init(_ hierarchy: CgroupHierarchy) {
            switch hierarchy {
            case .unified(let mountPoint): self = .unified(mountPoint: mountPoint)
            case .legacy(let mountPoints): self = .legacy(mountPoints: mountPoints)
            }
        }

        var cgroupHierarchy: CgroupHierarchy {
            switch self {
            case .unified(let mountPoint): .unified(mountPoint: mountPoint)
            case .legacy(let mountPoints): .legacy(mountPoints: mountPoints)
            }
        }
    }

    public var cgroup: any Cgroup { Cgroups.open(path: cgroupPath, hierarchy: hierarchy.cgroupHierarchy) }

    public var isAlive: Bool { ProcFS.isAlive(pid, startTime: pidStartTime) }

    /// created → (start) → running → stopped; paused while the cgroup is frozen.
    public func status(stateDirectory: String) -> ContainerStatus {
        guard isAlive else { return .stopped }
        if FileSystem.exists(stateDirectory + "/exec.fifo") { return .created }
        if cgroup.isFrozen() { return .paused }
        return .running
    }

    public func report(stateDirectory: String) -> ContainerStateReport {
        let status = status(stateDirectory: stateDirectory)
        return ContainerStateReport(
            id: id, pid: status == .stopped ? 0 : pid, status: status, bundle: bundle, rootfs: rootfs,
            created: created, annotations: spec.annotations)
    }
}

// state.json by hand (no Codable in the runtime: see SkiffOCI/RuntimeSpec+JSON.swift), in the
// shape the Codable version wrote, so containers created by an older skiff-runc stay readable.
extension ContainerRecord: JSONDecodable, JSONEncodable {
    public init(json: JSONField) throws(JSONShapeError) {
        id = try json.required("id")
        bundle = try json.required("bundle")
        rootfs = try json.required("rootfs")
        pid = try json.required("pid")
        pidStartTime = try json.optional("pidStartTime")
        created = try json.required("created")
        cgroupPath = try json.required("cgroupPath")
        hierarchy = try json.required("hierarchy")
        spec = try json.required("spec")
    }

    public var json: JSON {
        var fields: [String: JSON] = [
            "id": .string(id), "bundle": .string(bundle), "rootfs": .string(rootfs), "pid": pid.json,
            "created": .string(created), "cgroupPath": .string(cgroupPath), "hierarchy": hierarchy.json, "spec": spec.json,
        ]
        fields["pidStartTime"] = pidStartTime?.json
        return .object(fields)
    }
}

extension ContainerRecord.Hierarchy: JSONDecodable, JSONEncodable {
    public init(json: JSONField) throws(JSONShapeError) {
        let fields = try json.fields()
        if let unified = fields["unified"] {
            self = .unified(mountPoint: try JSONField(unified, path: json.path + ".unified").required("mountPoint"))
        } else if let legacy = fields["legacy"] {
            self = .legacy(mountPoints: try JSONField(legacy, path: json.path + ".legacy").required("mountPoints"))
        } else {
            throw json.error("expected \"unified\" or \"legacy\"")
        }
    }

    public var json: JSON {
        switch self {
        case .unified(let mountPoint): ["unified": ["mountPoint": .string(mountPoint)]]
        case .legacy(let mountPoints): ["legacy": ["mountPoints": mountPoints.json]]
        }
    }
}
