import Glibc
import SkiffSystem

/// Where `$NOTIFY_SOCKET` points: a file-system AF_UNIX datagram socket (`/run/systemd/notify`)
/// or an abstract one (`@name`, which the kernel spells with a leading NUL byte).
public struct NotifySocketAddress: Sendable, Equatable, CustomStringConvertible {
    /// The address as systemd wrote it into the environment.
    public let rawValue: String

    /// Accepts what systemd hands out; `nil` for anything else (systemd 254+'s `vsock:` form
    /// included, which Skiff's target hosts do not use).
    public init?(_ rawValue: String) {
        guard rawValue.hasPrefix("/") || rawValue.hasPrefix("@") else { return nil }
        // sun_path is 108 bytes; a path also needs its terminating NUL.
        let capacity = MemoryLayout.size(ofValue: sockaddr_un().sun_path)
        let needed = rawValue.utf8.count + (rawValue.hasPrefix("/") ? 1 : 0)
        guard rawValue.utf8.count > 1, needed <= capacity else { return nil }
        self.rawValue = rawValue
    }

    public var isAbstract: Bool { rawValue.hasPrefix("@") }

    public var description: String { rawValue }

    /// Calls `body` with the `sockaddr_un` and the exact length to pass to `sendto`: an abstract
    /// name is not NUL-terminated, so its length must not cover the rest of sun_path.
    func withSockaddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) throws(SystemError) -> R) throws(SystemError) -> R {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(rawValue.utf8)
        if isAbstract { bytes[0] = 0 }
        withUnsafeMutableBytes(of: &address.sun_path) { path in
            for (index, byte) in bytes.enumerated() { path[index] = byte }
        }
        let pathOffset = MemoryLayout<sockaddr_un>.offset(of: \.sun_path) ?? 2
        let length = socklen_t(pathOffset + bytes.count + (isAbstract ? 0 : 1))
        return try withUnsafePointer(to: &address) { (pointer) throws(SystemError) -> R in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { (generic) throws(SystemError) -> R in
                try body(generic, length)
            }
        }
    }
}
