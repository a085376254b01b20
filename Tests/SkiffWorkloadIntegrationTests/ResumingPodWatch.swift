import Foundation
import SkiffTestSupport

/// Every pod event of a namespace across server restarts: a watch (`kubectl get --raw
/// …?watch=1&resourceVersion=R`) that, whenever its connection ends, starts again from the last
/// resourceVersion it saw, so no event between two connections is missed. A watch the server
/// refuses as too old (410) is recorded as a gap and continues from a fresh list; `stop` returns
/// the events in order and how many gaps there were.
final class ResumingPodWatch {
    private let process = Process()
    private let path = NSTemporaryDirectory() + "skiff-resuming-watch-" + UUID().uuidString

    /// Loops until killed: watch from `$rv`, and after each connection's end take the last
    /// resourceVersion written (a partly written last line is skipped) or, on a 410, mark a gap
    /// and start from a fresh list.
    private static let loop = #"""
        kubeconfig=$1 namespace=$2 out=$3 rv=$4
        while :; do
            kubectl --kubeconfig "$kubeconfig" --request-timeout=0 get --raw \
                "/api/v1/namespaces/$namespace/pods?watch=1&allowWatchBookmarks=true&resourceVersion=$rv" >>"$out" 2>/dev/null || true
            printf '\n' >>"$out"
            rv=$(python3 - "$out" "$rv" <<'PY'
        import json, sys
        rv = sys.argv[2]
        for line in open(sys.argv[1]):
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if event.get("type") == "ERROR":
                rv = ""
            elif event.get("type") != "GAP":
                rv = event["object"]["metadata"].get("resourceVersion", rv)
        print(rv)
        PY
            )
            [[ -n $rv ]] || printf '{"type":"GAP"}\n' >>"$out"
            sleep 0.3
        done
        """#

    /// Starts watching `namespace` from `resourceVersion` (a list's, so nothing after it is missed).
    init(cluster: TestCluster, namespace: String, resourceVersion: String) throws {
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", Self.loop, "watch", cluster.kubeconfig, namespace, path, resourceVersion]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.runReleasingStdio()
    }

    /// Stops the loop (its kubectl with it) and parses what it wrote: BOOKMARKs are dropped, a
    /// 410 or a refused resume counts as a gap.
    func stop() throws -> (events: [PodWatch.Event], gaps: Int) {
        // Foundation starts the child in a process group of its own: the loop, and the kubectl it
        // is running, go at once.
        kill(-process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        defer { try? FileManager.default.removeItem(atPath: path) }
        var events: [PodWatch.Event] = []
        var gaps = 0
        for line in try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n") {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], let type = object["type"] as? String
            else { continue }
            switch type {
            case "GAP": gaps += 1
            case "BOOKMARK", "ERROR": continue
            default: if let pod = object["object"] as? [String: Any] { events.append(PodWatch.Event(type: type, pod: pod)) }
            }
        }
        return (events, gaps)
    }
}
