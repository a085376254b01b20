import Foundation

/// A `kubectl port-forward` running in the background for a test, its output in files; ready
/// once kubectl prints "Forwarding from 127.0.0.1…".
public final class PortForwardProcess: @unchecked Sendable {
    // @unchecked: owned by one test, never used concurrently.
    public let process = Process()
    let directory = NSTemporaryDirectory() + "skiff-pf-" + UUID().uuidString

    /// Starts `kubectl --kubeconfig KUBECONFIG port-forward ARGUMENTS…` and waits up to 10 s for it to listen.
    public init(kubeconfig: String, _ arguments: [String]) async throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: directory + "/out", contents: nil)
        _ = FileManager.default.createFile(atPath: directory + "/err", contents: nil)
        process.executableURL = URL(fileURLWithPath: try await Tools.kubectl())
        process.arguments = ["--kubeconfig", kubeconfig, "port-forward"] + arguments
        process.standardOutput = FileHandle(forWritingAtPath: directory + "/out")
        process.standardError = FileHandle(forWritingAtPath: directory + "/err")
        process.standardInput = FileHandle.nullDevice
        try process.runReleasingStdio()
        for _ in 0..<100 where !stdout.contains("Forwarding from 127.0.0.1") && process.isRunning {
            try await Task.sleep(for: .milliseconds(100))
        }
        guard stdout.contains("Forwarding from 127.0.0.1") else {
            stop()
            throw Tools.Failure("kubectl port-forward \(arguments) did not start: \(stdout) \(stderr)")
        }
    }

    /// The port-forward tests' workload: a Deployment `web` of busybox httpd pods answering
    /// "hello-from-POD" on the pod's loopback only (port-forward reaches it where the pod IP
    /// would not), `spread` one per host, and a Service `web` (8000 → the named port).
    public static func webManifests(replicas: Int, spread: Bool = false) -> String {
        let spreading =
            spread
            ? """

                  topologySpreadConstraints:
                  - {maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: DoNotSchedule, labelSelector: {matchLabels: {app: pf-web}}}
            """ : ""
        return """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web}
            spec:
              replicas: \(replicas)
              selector: {matchLabels: {app: pf-web}}
              template:
                metadata: {labels: {app: pf-web}}
                spec:
                  terminationGracePeriodSeconds: 1\(spreading)
                  containers:
                  - name: web
                    image: busybox
                    command: ["/bin/sh", "-c", "echo hello-from-$(hostname) > /tmp/index.html; httpd -f -p 127.0.0.1:80 -h /tmp"]
                    ports: [{containerPort: 80, name: http}]
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: web}
            spec:
              selector: {app: pf-web}
              ports: [{port: 8000, targetPort: http}]
            """
    }

    public var stdout: String { (try? String(contentsOfFile: directory + "/out", encoding: .utf8)) ?? "" }
    public var stderr: String { (try? String(contentsOfFile: directory + "/err", encoding: .utf8)) ?? "" }

    /// Stops kubectl (SIGTERM) and removes its output files.
    public func stop() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// `curl http://127.0.0.1:PORT/PATH` from the host, as a user of the forward would.
    public static func curl(_ port: Int, path: String = "index.html") async throws -> Tools.Output {
        try await Tools.run("/usr/bin/curl", ["-sS", "--max-time", "10", "http://127.0.0.1:\(port)/\(path)"], timeout: 20)
    }
}
