import Foundation

/// Test support shared by the store and integration tests.
/// A throwaway etcd-server (Debian's etcd 3.4) on free loopback ports with a temp data dir.
public final class EtcdProcess: @unchecked Sendable {
    // @unchecked: the Process is only touched by the owning test.
    let directory: String
    let process = Process()
    public let endpoint: String

    public init() throws {
        directory = NSTemporaryDirectory() + "skiff-etcd-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let clientPort = Self.freePort()
        let peerPort = Self.freePort()
        endpoint = "http://127.0.0.1:\(clientPort)"
        let candidates = ["/usr/bin/etcd", "/usr/local/bin/etcd"]
        guard let binary = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: "etcd (apt-get install etcd-server)"])
        }
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = [
            "--data-dir", directory + "/data", "--name", "skiff-test",
            "--listen-client-urls", endpoint, "--advertise-client-urls", endpoint,
            "--listen-peer-urls", "http://127.0.0.1:\(peerPort)", "--initial-advertise-peer-urls", "http://127.0.0.1:\(peerPort)",
            "--initial-cluster", "skiff-test=http://127.0.0.1:\(peerPort)",
        ]
        _ = FileManager.default.createFile(atPath: directory + "/etcd.log", contents: nil)
        process.standardOutput = FileHandle(forWritingAtPath: directory + "/etcd.log")
        process.standardError = FileHandle(forWritingAtPath: directory + "/etcd.log")
        try process.runReleasingStdio()
        let deadline = Date().addingTimeInterval(20)
        while !isHealthy() {
            guard process.isRunning, Date() < deadline else {
                stop()
                throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "etcd did not start"])
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    deinit { stop() }

    public func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Ready once the client port accepts connections.
    func isHealthy() -> Bool {
        guard let port = UInt16(endpoint.split(separator: ":").last ?? "") else { return false }
        return Self.canConnect(port: port)
    }

    static func canConnect(port: UInt16) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    /// Binds port 0 to learn a free port, then releases it.
    public static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 ? getsockname(fd, pointer, &length) : -1
            }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
