import ArgumentParser
import Glibc
import SkiffImages
import SkiffRegistry
import SkiffSystem

extension ImageCommand {
    /// `skiff image pull REF`: fetches an image from its registry into the node's store.
    struct Pull: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "pull", abstract: "Pull an image from a registry (OCI Distribution API) into the node's store.")
        @Argument(help: "Image reference, e.g. busybox or registry.example:5000/team/app:1.4.") var reference: String
        @Option(help: "Credentials as user:password.") var creds: String?
        @Option(help: "A Docker config.json to take the registry's credentials from.") var authfile: String?
        @Option(help: "Per-registry CA files, as <dir>/<host[:port]>/ca.crt.") var certsDir = "/etc/skiff/certs.d"
        @Option(help: "A registry that may be reached over plain HTTP or unverified TLS (repeatable).") var insecureRegistry: [String] = []
        @OptionGroup var location: Location

        func validate() throws {
            if let creds, RegistryCredentials(userColonPassword: creds) == nil {
                throw ValidationError("--creds must be user:password")
            }
            if creds != nil && authfile != nil { throw ValidationError("give --creds or --authfile, not both") }
        }

        func run() async throws {
            let parsed = try ImageReference(parsing: reference)
            var credentials = creds.flatMap(RegistryCredentials.init(userColonPassword:))
            if let authfile {
                credentials = try DockerConfig(json: try FileSystem.readBytes(authfile)).credentials(for: parsed.domain)
            }
            let puller = ImagePuller(
                store: location.store, hosts: RegistryHosts(certificatesDirectory: certsDir, insecure: insecureRegistry))
            let started = ContinuousClock.now
            // Plain lines: one per blob as it lands (a terminal gets the same; a live bar is later work).
            let pulled = try await puller.pull(reference, credentials: credentials) { step in
                switch step {
                case .resolved(let manifest, let layers): print("\(parsed.description): manifest \(manifest), \(layers) layers")
                case .blob(let digest, let size, let downloaded):
                    print("\(digest.prefix(19)): \(downloaded ? "downloaded" : "already present") \(size) bytes")
                }
            }
            let elapsed = PulledImage.describe(ContinuousClock.now - started)
            print("pulled \(pulled.record.shortNames.joined(separator: ", ")) \(pulled.record.id) (\(pulled.downloadedBytes) bytes downloaded in \(elapsed))")
        }
    }
}
