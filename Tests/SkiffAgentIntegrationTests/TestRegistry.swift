import Foundation
import SkiffTestSupport

/// Debian's docker-registry (the CNCF Distribution registry) on a loopback port, with TLS from a
/// CA of its own and htpasswd authentication, holding rootfs/build.sh's busybox under two tags.
final class TestRegistry: @unchecked Sendable {
    // @unchecked: the process is only touched by the owning test.
    let directory: String
    let port: Int
    let process: Process
    static let username = "alice"
    static let password = "s3cret-pw"

    var host: String { "127.0.0.1:\(port)" }
    /// Docker's certs.d layout: `<certificates>/<host:port>/ca.crt`, for the agent's --registry-certs-dir.
    var certificates: String { directory + "/certs.d" }
    var storage: String { directory + "/data" }
    var accessLog: String { (try? String(contentsOfFile: directory + "/registry.log", encoding: .utf8)) ?? "" }

    /// Starts the registry and pushes busybox as team/busybox:1.0 and team/busybox:latest.
    static func start(in directory: String, busyboxLayout: String) async throws -> TestRegistry {
        for tool in ["/usr/bin/docker-registry", "/usr/bin/skopeo", "/usr/bin/htpasswd"] where !FileManager.default.isExecutableFile(atPath: tool) {
            throw Tools.Failure("\(tool) is missing: run scripts/setup")
        }
        let port = Int.random(in: 20000...40000)
        let host = "127.0.0.1:\(port)"
        let script = """
            set -e
            cd "\(directory)"
            mkdir -p data "certs.d/\(host)"
            openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 -subj "/CN=skiff test CA" 2>/dev/null
            openssl req -newkey rsa:2048 -nodes -keyout registry.key -out registry.csr -subj "/CN=localhost" 2>/dev/null
            printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\n' > san.cnf
            openssl x509 -req -in registry.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out registry.crt -days 2 -extfile san.cnf 2>/dev/null
            cp ca.crt "certs.d/\(host)/ca.crt"
            htpasswd -Bbc htpasswd \(username) \(password) 2>/dev/null
            cat > config.yml <<CONFIG
            version: 0.1
            log: {level: info, accesslog: {disabled: false}}
            storage: {filesystem: {rootdirectory: \(directory)/data}, delete: {enabled: true}}
            http: {addr: "\(host)", tls: {certificate: \(directory)/registry.crt, key: \(directory)/registry.key}}
            auth: {htpasswd: {realm: skiff-test, path: \(directory)/htpasswd}}
            CONFIG
            """
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let setup = try await Tools.run("/bin/bash", ["-c", script])
        guard setup.status == 0 else { throw Tools.Failure("registry setup failed: \(setup.stderr)") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/docker-registry")
        process.arguments = ["serve", directory + "/config.yml"]
        _ = FileManager.default.createFile(atPath: directory + "/registry.log", contents: nil)
        let log = FileHandle(forWritingAtPath: directory + "/registry.log")
        process.standardOutput = log
        process.standardError = log
        try process.run()
        let registry = TestRegistry(directory: directory, port: port, process: process)
        for tag in ["1.0", "latest"] {
            var pushed = false
            for _ in 0..<50 where !pushed {
                let push = try await Tools.run(
                    "/usr/bin/skopeo",
                    [
                        "copy", "--dest-cert-dir", "\(registry.certificates)/\(host)", "--dest-creds", "\(username):\(password)",
                        "oci:\(busyboxLayout)", "docker://\(host)/team/busybox:\(tag)",
                    ])
                pushed = push.status == 0
                if !pushed { try await Task.sleep(for: .milliseconds(200)) }
            }
            guard pushed else { throw Tools.Failure("skopeo could not push busybox:\(tag): \(registry.accessLog.suffix(2000))") }
        }
        // team/busybox:multi: an index of an arm64 entry (busybox's layer under an arm64 config)
        // and busybox's amd64 manifest, nested in the layout's index.json as skopeo wants it.
        let multi = """
            set -e
            rm -rf "\(directory)/multi"; cp -r "\(busyboxLayout)" "\(directory)/multi"; cd "\(directory)/multi"
            blob() { d=$(sha256sum "$1" | cut -d' ' -f1); cp "$1" blobs/sha256/$d; echo "$d $(stat -c %s "$1")"; }
            m=$(jq -r '.manifests[0].digest' index.json | cut -d: -f2); ms=$(jq -r '.manifests[0].size' index.json)
            c=$(jq -r '.config.digest' blobs/sha256/$m | cut -d: -f2)
            jq -c '.architecture="arm64"' blobs/sha256/$c > ../arm64-config; read ac acs <<< "$(blob ../arm64-config)"
            jq -c --arg d "sha256:$ac" --argjson s $acs '.config.digest=$d | .config.size=$s' blobs/sha256/$m > ../arm64-manifest
            read am ams <<< "$(blob ../arm64-manifest)"
            printf '%s' "{\\"schemaVersion\\":2,\\"mediaType\\":\\"application/vnd.oci.image.index.v1+json\\",\\"manifests\\":[\
            {\\"mediaType\\":\\"application/vnd.oci.image.manifest.v1+json\\",\\"digest\\":\\"sha256:$am\\",\\"size\\":$ams,\\"platform\\":{\\"architecture\\":\\"arm64\\",\\"os\\":\\"linux\\",\\"variant\\":\\"v8\\"}},\
            {\\"mediaType\\":\\"application/vnd.oci.image.manifest.v1+json\\",\\"digest\\":\\"sha256:$m\\",\\"size\\":$ms,\\"platform\\":{\\"architecture\\":\\"amd64\\",\\"os\\":\\"linux\\"}}]}" > ../index
            read n ns <<< "$(blob ../index)"
            printf '%s' "{\\"schemaVersion\\":2,\\"manifests\\":[{\\"mediaType\\":\\"application/vnd.oci.image.index.v1+json\\",\\"digest\\":\\"sha256:$n\\",\\"size\\":$ns}]}" > index.json
            skopeo copy --multi-arch all --dest-cert-dir "\(registry.certificates)/\(host)" --dest-creds \(username):\(password) \\
                oci:"\(directory)/multi" docker://\(host)/team/busybox:multi
            """
        let pushed = try await Tools.run("/bin/bash", ["-c", multi])
        guard pushed.status == 0 else { throw Tools.Failure("pushing the multi-platform index failed: \(pushed.stderr)") }
        return registry
    }

    /// Pushes a changed busybox as team/busybox:latest: the same layer under a config with
    /// CHANGED=1 in its environment, so a new config and manifest digest.
    func pushChangedLatest(busyboxLayout: String) async throws {
        let script = """
            set -e
            rm -rf "\(directory)/changed"; cp -r "\(busyboxLayout)" "\(directory)/changed"; cd "\(directory)/changed"
            blob() { d=$(sha256sum "$1" | cut -d' ' -f1); cp "$1" blobs/sha256/$d; echo "$d $(stat -c %s "$1")"; }
            m=$(jq -r '.manifests[0].digest' index.json | cut -d: -f2)
            c=$(jq -r '.config.digest' blobs/sha256/$m | cut -d: -f2)
            jq -c '.config.Env += ["CHANGED=1"]' blobs/sha256/$c > ../changed-config; read cc ccs <<< "$(blob ../changed-config)"
            jq -c --arg d "sha256:$cc" --argjson s $ccs '.config.digest=$d | .config.size=$s' blobs/sha256/$m > ../changed-manifest
            read cm cms <<< "$(blob ../changed-manifest)"
            jq -c --arg d "sha256:$cm" --argjson s $cms '.manifests[0].digest=$d | .manifests[0].size=$s' index.json > ../changed-index
            cp ../changed-index index.json
            skopeo copy --dest-cert-dir "\(certificates)/\(host)" --dest-creds \(Self.username):\(Self.password) \\
                oci:"\(directory)/changed" docker://\(host)/team/busybox:latest
            """
        let pushed = try await Tools.run("/bin/bash", ["-c", script])
        guard pushed.status == 0 else { throw Tools.Failure("pushing the changed :latest failed: \(pushed.stderr)") }
    }

    /// Pushes an OCI layout as `repositoryAndTag` ("team/big:1").
    func push(layout: String, as repositoryAndTag: String) async throws {
        let pushed = try await Tools.run(
            "/usr/bin/skopeo",
            [
                "copy", "--dest-cert-dir", "\(certificates)/\(host)", "--dest-creds", "\(Self.username):\(Self.password)",
                "oci:\(layout)", "docker://\(host)/\(repositoryAndTag)",
            ])
        guard pushed.status == 0 else { throw Tools.Failure("skopeo could not push \(repositoryAndTag): \(pushed.stderr)") }
    }

    private init(directory: String, port: Int, process: Process) {
        self.directory = directory
        self.port = port
        self.process = process
    }

    /// Successful GETs of each blob of team/busybox, by digest, from the access log.
    func blobDownloads() -> [String: Int] {
        var counts: [String: Int] = [:]
        for line in accessLog.split(separator: "\n") where line.contains("\"GET /v2/team/busybox/blobs/sha256:") && line.contains("\" 200 ") {
            guard let start = line.range(of: "blobs/")?.upperBound else { continue }
            counts[String(line[start...].prefix(71)), default: 0] += 1
        }
        return counts
    }

    /// The registry's stored data file of a blob, to corrupt it.
    func blobDataPath(_ digest: String) -> String {
        let hex = String(digest.dropFirst(7))
        return "\(storage)/docker/registry/v2/blobs/sha256/\(hex.prefix(2))/\(hex)/data"
    }

    func blobSize(_ digest: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: blobDataPath(digest)))?[.size] as? Int) ?? 0
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: directory)
    }
}
