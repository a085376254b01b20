import FoundationEssentials
import SkiffAPI
import SkiffSystem

/// How a container ended, as skiff-monitor records it in the container's `exit.json`:
/// `{"exitCode":N[,"signal":S],"startedAt":…,"finishedAt":…}`, or exit code 255 with a message
/// when the monitor could not learn the status.
struct ContainerExit: Sendable, Equatable {
    var exitCode: Int32
    var signal: Int32?
    var finishedAt: Date?
    var message: String?

    /// The exit recorded in `directory`; code 255 when the file is missing or unreadable (the
    /// monitor died with the container), as the kubelet reports an unknown exit.
    static func read(directory: String) -> ContainerExit {
        guard let text = try? FileSystem.readString(directory + "/exit.json"), let json = try? JSON(parsing: text) else {
            return ContainerExit(exitCode: 255, message: "exit status unknown: no exit.json")
        }
        return ContainerExit(json: json)
    }

    init(exitCode: Int32, signal: Int32? = nil, finishedAt: Date? = nil, message: String? = nil) {
        self.exitCode = exitCode
        self.signal = signal
        self.finishedAt = finishedAt
        self.message = message
    }

    init(json: JSON) {
        exitCode = json["exitCode"].int.flatMap { Int32(exactly: $0) } ?? 255
        signal = json["signal"].int.flatMap { Int32(exactly: $0) }
        finishedAt = json["finishedAt"].string.flatMap(Self.parseNanoTimestamp)
        message = json["message"].string
    }

    /// exit.json's RFC 3339 timestamps carry nanoseconds; metav1.Time needs only seconds.
    static func parseNanoTimestamp(_ text: String) -> Date? {
        guard let dot = text.firstIndex(of: ".") else { return Timestamp.parse(text) }
        return Timestamp.parse(String(text[..<dot]) + "Z")
    }
}
