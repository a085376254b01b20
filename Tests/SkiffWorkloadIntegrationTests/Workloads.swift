import Foundation
import SkiffTestSupport

/// kubectl against a test cluster, for the workload controllers' tests: apply a manifest, read
/// objects as JSON, and wait for a condition with a deadline that names what did not happen.
struct Workloads {
    let cluster: TestCluster

    /// `kubectl ARGS…`, failing the test with kubectl's stderr when it fails.
    @discardableResult
    func kubectl(_ arguments: String..., input: String? = nil) async throws -> String {
        let output = try await cluster.kubectl(arguments, input: input)
        guard output.status == 0 else { throw Tools.Failure("kubectl \(arguments.joined(separator: " ")): \(output.stderr)") }
        return output.stdout
    }

    func apply(_ manifest: String) async throws { try await kubectl("apply", "-f", "-", input: manifest) }

    /// `kubectl get ARGS… -o json`, parsed.
    func json(_ arguments: String...) async throws -> [String: Any] {
        let output = try await cluster.kubectl(arguments + ["-o", "json"], input: nil)
        guard output.status == 0, let object = try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any] else {
            throw Tools.Failure("kubectl get \(arguments.joined(separator: " ")): \(output.stderr)")
        }
        return object
    }

    /// The items of `kubectl get KIND -l SELECTOR -o json`.
    func items(_ kind: String, selector: String? = nil) async throws -> [[String: Any]] {
        let object = if let selector { try await json("get", kind, "-l", selector) } else { try await json("get", kind) }
        return object["items"] as? [[String: Any]] ?? []
    }

    /// Server flags that make a lost host count quickly: its Node Unknown after `grace` seconds
    /// (checked every second) and its pods evicted `toleration` seconds after that.
    static func shortNodeLifecycle(grace: Int, toleration: Int) -> [String] {
        [
            "--node-monitor-grace-period=\(grace)s", "--node-monitor-period=1s", "--default-unreachable-toleration-seconds=\(toleration)",
            "--default-not-ready-toleration-seconds=\(toleration)",
        ]
    }

    /// Polls `condition` every half second until it holds; throws naming `what` after `timeout`.
    func eventually(_ what: String, timeout: TimeInterval = 120, _ condition: () async throws -> Bool) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while try await !condition() {
            guard Date() < deadline else { throw Tools.Failure("timed out after \(Int(timeout)) s waiting for \(what)") }
            try await Task.sleep(for: .milliseconds(500))
        }
    }
}
