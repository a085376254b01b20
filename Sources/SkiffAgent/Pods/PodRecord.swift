import FoundationEssentials
import SkiffAPI
import SkiffSystem

/// A pod's `state.json` in the agent's pods directory: what a worker saves after every change
/// so a restarted agent (or `skiff pods`) takes the pod back where it was.
struct PodRecord: Sendable {
    /// The pod as the API last sent it (saved as its JSON).
    var pod: Pod
    var containers: [ContainerState]
    var finished: Bool
    var startTime: Date?
    var podIP: String?
    /// The Evicted message of a pod the eviction manager stopped.
    var evictionMessage: String?

    static func path(podsDirectory: String, uid: String) -> String { "\(podsDirectory)/\(uid)/state.json" }

    /// The saved record, or nil when there is none or it cannot be read.
    static func load(podsDirectory: String, uid: String) -> PodRecord? {
        guard let text = try? FileSystem.readString(path(podsDirectory: podsDirectory, uid: uid)),
            let json = try? JSON(parsing: text)
        else { return nil }
        return PodRecord(json: json)
    }

    func save(podsDirectory: String, uid: String) throws {
        _ = try FileSystem.makeDirectories("\(podsDirectory)/\(uid)", mode: 0o700)
        try FileSystem.writeAtomically(Self.path(podsDirectory: podsDirectory, uid: uid), json.serialized)
    }

    init(pod: Pod, containers: [ContainerState], finished: Bool, startTime: Date?, podIP: String?) {
        self.pod = pod
        self.containers = containers
        self.finished = finished
        self.startTime = startTime
        self.podIP = podIP
    }

    init?(json: JSON) {
        guard case .object = json["pod"], let pod = try? Pod(json: json["pod"]) else { return nil }
        self.pod = pod
        containers = (json["containers"].array ?? []).compactMap(ContainerState.init(persisted:))
        finished = json["finished"].bool ?? false
        startTime = json["startTime"].double.map { Date(timeIntervalSince1970: $0) }
        podIP = json["podIP"].string
        evictionMessage = json["evictionMessage"].string
    }

    var json: JSON {
        var object: JSON = ["pod": pod.json, "containers": .array(containers.map(\.persisted)), "finished": .bool(finished)]
        if let startTime { object["startTime"] = .double(startTime.timeIntervalSince1970) }
        if let podIP { object["podIP"] = .string(podIP) }
        if let evictionMessage { object["evictionMessage"] = .string(evictionMessage) }
        return object
    }
}
