import FoundationEssentials
import SkiffAPI

/// How one container ended: what `lastState.terminated` and `state.terminated` report.
struct Termination: Sendable, Equatable {
    var exitCode: Int32
    var signal: Int32?
    var reason: String
    var message: String?
    var startedAt: Date
    var finishedAt: Date
    var containerID: String

    var json: JSON {
        var object: JSON = [
            "exitCode": .int(Int64(exitCode)), "reason": .string(reason),
            "startedAt": .string(Timestamp.string(startedAt)), "finishedAt": .string(Timestamp.string(finishedAt)),
            "containerID": .string("skiff://" + containerID),
        ]
        if let signal { object["signal"] = .int(Int64(signal)) }
        if let message, !message.isEmpty { object["message"] = .string(message) }
        return object
    }

    init(exitCode: Int32, signal: Int32?, reason: String, message: String?, startedAt: Date, finishedAt: Date, containerID: String) {
        self.exitCode = exitCode
        self.signal = signal
        self.reason = reason
        self.message = message
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.containerID = containerID
    }

    init?(json: JSON) {
        guard let code = json["exitCode"].int, let started = json["startedAt"].string.flatMap(Timestamp.parse),
            let finished = json["finishedAt"].string.flatMap(Timestamp.parse)
        else { return nil }
        self.init(
            exitCode: Int32(code), signal: json["signal"].int.map { Int32($0) }, reason: json["reason"].string ?? "Error",
            message: json["message"].string, startedAt: started, finishedAt: finished,
            containerID: String((json["containerID"].string ?? "").dropFirst("skiff://".count)))
    }
}

/// The agent's record of one container of a pod across its restarts.
struct ContainerState: Sendable {
    enum Phase: Sendable, Equatable {
        /// Not started yet, or waiting to be restarted (CrashLoopBackOff, ErrImageNeverPull…).
        case waiting(reason: String, message: String)
        case running(id: String, startedAt: Date)
        case terminated(Termination)
    }

    var name: String
    var isInit: Bool
    var phase: Phase = .waiting(reason: "ContainerCreating", message: "")
    var lastTermination: Termination?
    var restartCount = 0
    var monitorPID: Int32 = 0
    var ready = false
    var started = false
    var imageID = ""
    var image = ""
    /// Earliest time the next restart may happen (CrashLoopBackOff), and how long that hold is.
    var restartAfter: Date?
    var restartDelaySeconds: Double = 0
    /// The hold the next crash will get: doubles up to the maximum.
    var backoffSeconds: Double = 0
    /// Set when the agent killed it on purpose (liveness failure, pod deletion): the reason the
    /// termination should not count as the program's own.
    var killReason: String?

    init(name: String, isInit: Bool) {
        self.name = name
        self.isInit = isInit
    }

    /// It ran and stopped: terminated, or waiting to be restarted after a termination.
    var hasEnded: Bool {
        switch phase {
        case .terminated: return true
        case .waiting: return lastTermination != nil
        case .running: return false
        }
    }

    var runningID: String? {
        if case .running(let id, _) = phase { return id }
        return nil
    }

    var isRunning: Bool { runningID != nil }

    var termination: Termination? {
        if case .terminated(let termination) = phase { return termination }
        return nil
    }

    /// Whether it has ever run: a waiting container with a previous termination is restarting.
    var hasRun: Bool { lastTermination != nil || termination != nil || isRunning }

    func statusJSON() -> JSON {
        var status: JSON = [
            "name": .string(name), "ready": .bool(ready), "restartCount": .int(Int64(restartCount)),
            "image": .string(image), "imageID": .string(imageID), "started": .bool(started),
        ]
        switch phase {
        case .waiting(let reason, let message):
            var waiting: JSON = ["reason": .string(reason)]
            if !message.isEmpty { waiting["message"] = .string(message) }
            status["state"] = ["waiting": waiting]
        case .running(let id, let startedAt):
            status["state"] = ["running": ["startedAt": .string(Timestamp.string(startedAt))]]
            status["containerID"] = .string("skiff://" + id)
        case .terminated(let termination):
            status["state"] = ["terminated": termination.json]
            status["containerID"] = .string("skiff://" + termination.containerID)
        }
        if let lastTermination { status["lastState"] = ["terminated": lastTermination.json] } else { status["lastState"] = .emptyObject }
        if isInit { status["started"] = nil }
        return status
    }

    /// What is saved in the pod's state file so a restarted agent picks up where it was.
    var persisted: JSON {
        var object: JSON = [
            "name": .string(name), "isInit": .bool(isInit), "restartCount": .int(Int64(restartCount)),
            "monitorPID": .int(Int64(monitorPID)), "image": .string(image), "imageID": .string(imageID),
            "backoffSeconds": .double(backoffSeconds), "restartDelaySeconds": .double(restartDelaySeconds),
        ]
        switch phase {
        case .waiting(let reason, let message): object["waiting"] = ["reason": .string(reason), "message": .string(message)]
        case .running(let id, let startedAt): object["running"] = ["id": .string(id), "startedAt": .double(startedAt.timeIntervalSince1970)]
        case .terminated(let termination): object["terminated"] = termination.json
        }
        if let lastTermination { object["lastTermination"] = lastTermination.json }
        if let restartAfter { object["restartAfter"] = .double(restartAfter.timeIntervalSince1970) }
        return object
    }

    init?(persisted json: JSON) {
        guard let name = json["name"].string else { return nil }
        self.init(name: name, isInit: json["isInit"].bool ?? false)
        restartCount = Int(json["restartCount"].int ?? 0)
        monitorPID = Int32(json["monitorPID"].int ?? 0)
        image = json["image"].string ?? ""
        imageID = json["imageID"].string ?? ""
        backoffSeconds = json["backoffSeconds"].double ?? 0
        restartDelaySeconds = json["restartDelaySeconds"].double ?? 0
        if let id = json["running"]["id"].string {
            phase = .running(id: id, startedAt: Date(timeIntervalSince1970: json["running"]["startedAt"].double ?? 0))
            started = true
        } else if let termination = Termination(json: json["terminated"]) {
            phase = .terminated(termination)
        } else {
            phase = .waiting(reason: json["waiting"]["reason"].string ?? "ContainerCreating", message: json["waiting"]["message"].string ?? "")
        }
        lastTermination = Termination(json: json["lastTermination"])
        restartAfter = json["restartAfter"].double.map { Date(timeIntervalSince1970: $0) }
    }
}
