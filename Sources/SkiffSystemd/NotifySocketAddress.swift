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
        guard rawValue.utf8.count > 1, UnixSocketAddress(rawValue) != nil else { return nil }
        self.rawValue = rawValue
    }

    public var isAbstract: Bool { rawValue.hasPrefix("@") }

    public var description: String { rawValue }

    /// Calls `body` with the `sockaddr_un` and the exact length to pass to `sendto`: an abstract
    /// name is not NUL-terminated, so its length must not cover the rest of sun_path.
    func withSockaddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) throws(SystemError) -> R) throws(SystemError) -> R {
        // The initializer checked that the name fits.
        guard let address = UnixSocketAddress(rawValue) else { throw SystemError("sendto", rawValue, errno: ENAMETOOLONG) }
        return try address.withSockaddr(body)
    }
}
