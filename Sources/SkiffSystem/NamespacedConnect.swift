import CSkiffShim
import Glibc

/// TCP connections made from inside another network namespace (a pod's), for port-forwarding:
/// the socket is created in that namespace, so its loopback is the pod's, and it stays there
/// while the agent reads and writes it.
public enum NamespacedConnect {
    /// Connects to `port` on the loopback address of the namespace pinned at `networkNamespace`
    /// (nil: ours). Tries 127.0.0.1, then ::1 when nothing listens there, as a dial of
    /// "localhost" does. Returns the connected socket (close-on-exec), which the caller owns.
    /// Refused or timed-out connections throw `SystemError("connect", …)` with that errno.
    /// The corresponding C function is `skiff_connect_in_netns`.
    public static func loopback(networkNamespace: String?, port: UInt16, timeoutMilliseconds: Int32 = 10_000) throws(SystemError) -> Int32 {
        var namespaceFD: Int32 = -1
        if let networkNamespace {
            namespaceFD = try sys("open", networkNamespace) { open(networkNamespace, O_RDONLY | O_CLOEXEC) }
        }
        defer { closeFD(namespaceFD) }
        let refusals: [Int32] = [ECONNREFUSED, ETIMEDOUT, EAGAIN, ENETUNREACH, EADDRNOTAVAIL, EAFNOSUPPORT]
        var v4 = sockaddr_in()
        v4.sin_family = sa_family_t(AF_INET)
        v4.sin_port = port.bigEndian
        v4.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        let first = try shim("connect", "127.0.0.1:\(port)", allowing: refusals) {
            withUnsafePointer(to: &v4) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    skiff_connect_in_netns(namespaceFD, $0, UInt32(MemoryLayout<sockaddr_in>.size), timeoutMilliseconds)
                }
            }
        }
        if case .succeeded(let fd) = first { return fd }
        var v6 = sockaddr_in6()
        v6.sin6_family = sa_family_t(AF_INET6)
        v6.sin6_port = port.bigEndian
        v6.sin6_addr = in6addr_loopback
        let second = try shim("connect", "[::1]:\(port)", allowing: refusals) {
            withUnsafePointer(to: &v6) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    skiff_connect_in_netns(namespaceFD, $0, UInt32(MemoryLayout<sockaddr_in6>.size), timeoutMilliseconds)
                }
            }
        }
        if case .succeeded(let fd) = second { return fd }
        // IPv4's answer is the one to report (a pod without IPv6 says EADDRNOTAVAIL for ::1).
        if case .failed(let err) = first { throw SystemError("connect", "127.0.0.1:\(port)", errno: err) }
        throw SystemError("connect", "127.0.0.1:\(port)", errno: ECONNREFUSED)
    }
}
