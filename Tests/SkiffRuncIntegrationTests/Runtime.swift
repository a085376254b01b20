import Foundation
import Testing

/// Drives a runtime binary (skiff-runc or runc) with its own state root.
struct RuntimeCLI: Sendable {
    let binary: String
    let root: String

    static func skiff() -> RuntimeCLI { RuntimeCLI(binary: Harness.skiffRunc, root: Harness.scratch + "/skiff-state") }
    static func runc() -> RuntimeCLI { RuntimeCLI(binary: Harness.runc, root: Harness.scratch + "/runc-state") }

    @discardableResult
    func callAsFunction(_ arguments: String..., stdin: String? = nil, in directory: String? = nil) -> Harness.Result {
        Harness.run(binary, ["--root", root] + arguments, stdin: stdin, directory: directory)
    }

    /// `run --detach` with the container's stdio on /dev/null: a detached container inherits
    /// the caller's stdio, and a pipe would keep our reader waiting until it exits.
    func runDetached(_ bundle: Bundle, _ id: String) -> Harness.Result {
        detached("run", "--detach", "--bundle", bundle.path, id)
    }

    /// Runs a verb whose container outlives it (run --detach, create, exec --detach) with the
    /// container's stdio on /dev/null; stderr of the runtime itself is returned.
    func detached(_ arguments: String...) -> Harness.Result { detached(arguments) }

    func detached(_ arguments: [String]) -> Harness.Result {
        let errors = Harness.scratch + "/" + Harness.uniqueID("stderr")
        var result = Harness.run(
            "/bin/sh",
            [
                "-c", "b=$1; r=$2; e=$3; shift 3; exec \"$b\" --root \"$r\" \"$@\" </dev/null >/dev/null 2>\"$e\"",
                "sh", binary, root, errors,
            ] + arguments)
        result.stderr = (try? String(contentsOfFile: errors, encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(atPath: errors)
        return result
    }

    func status(_ id: String) -> String {
        let state = self("state", id)
        guard state.status == 0,
            let json = try? JSONSerialization.jsonObject(with: Data(state.stdout.utf8)) as? [String: Any]
        else { return "absent" }
        return json["status"] as? String ?? "?"
    }

    func pid(_ id: String) -> Int32 {
        let json = try? JSONSerialization.jsonObject(with: Data(self("state", id).stdout.utf8)) as? [String: Any]
        return (json?["pid"] as? NSNumber)?.int32Value ?? 0
    }

    /// Waits up to `seconds` for `condition`.
    static func eventually(_ seconds: Double = 5, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            usleep(20_000)
        }
        return condition()
    }
}
