import Foundation
import SkiffTestSupport

/// `kubectl get pods -l SELECTOR -w --output-watch-events -o json` running in the background
/// for as long as a test needs; `stop` returns every event it printed, in order.
final class PodWatch {
    struct Event {
        let type: String
        let pod: [String: Any]
        var name: String { (pod["metadata"] as? [String: Any])?["name"] as? String ?? "" }
    }

    private let process = Process()
    private let path = NSTemporaryDirectory() + "skiff-pod-watch-" + UUID().uuidString

    init(cluster: TestCluster, selector: String) async throws {
        process.executableURL = URL(fileURLWithPath: try await Tools.kubectl())
        process.arguments = ["--kubeconfig", cluster.kubeconfig, "get", "pods", "-l", selector, "-w", "--output-watch-events", "-o", "json"]
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        process.standardOutput = FileHandle(forWritingAtPath: path)
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.runReleasingStdio()
    }

    /// Stops kubectl and parses what it printed: JSON objects one after another.
    func stop() throws -> [Event] {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return try Self.objects(in: text).compactMap { object in
            guard let type = object["type"] as? String, let pod = object["object"] as? [String: Any] else { return nil }
            return Event(type: type, pod: pod)
        }
    }

    /// Splits concatenated JSON objects by brace depth (outside strings) and parses each.
    static func objects(in text: String) throws -> [[String: Any]] {
        var objects: [[String: Any]] = []
        var depth = 0
        var inString = false
        var escaped = false
        var start: String.Index?
        for index in text.indices {
            let character = text[index]
            if inString {
                if escaped { escaped = false } else if character == "\\" { escaped = true } else if character == "\"" { inString = false }
                continue
            }
            switch character {
            case "\"": inString = true
            case "{":
                if depth == 0 { start = index }
                depth += 1
            case "}":
                depth -= 1
                if depth == 0, let begin = start {
                    let data = Data(text[begin...index].utf8)
                    if let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] { objects.append(object) }
                }
            default: break
            }
        }
        return objects
    }
}

extension PodWatch.Event {
    /// Neither finished nor being deleted: a pod its ReplicaSet counts.
    var isActive: Bool {
        let metadata = pod["metadata"] as? [String: Any] ?? [:]
        let phase = (pod["status"] as? [String: Any])?["phase"] as? String
        return metadata["deletionTimestamp"] == nil && phase != "Succeeded" && phase != "Failed"
    }

    /// Active and its Ready condition True.
    var isReady: Bool {
        let conditions = (pod["status"] as? [String: Any])?["conditions"] as? [[String: Any]] ?? []
        return isActive && conditions.contains { $0["type"] as? String == "Ready" && $0["status"] as? String == "True" }
    }

    var uid: String { (pod["metadata"] as? [String: Any])?["uid"] as? String ?? "" }

    var labels: [String: Any] { (pod["metadata"] as? [String: Any])?["labels"] as? [String: Any] ?? [:] }

    var templateHash: String? { labels["pod-template-hash"] as? String }
}
