import Glibc

/// An AF_UNIX address: a file-system path, or with a leading "@" an abstract name (which the
/// kernel spells with a leading NUL byte and no terminator).
public struct UnixSocketAddress {
    private var address = sockaddr_un()
    /// What to pass with the address: up to the end of the name, a path's terminating NUL included.
    public let length: socklen_t

    /// `nil` when the name does not fit sun_path (108 bytes, a path's NUL included).
    public init?(_ name: String) {
        var bytes = Array(name.utf8)
        let abstract = name.hasPrefix("@")
        if abstract { bytes[0] = 0 }
        let terminator = abstract ? 0 : 1
        guard bytes.count + terminator <= MemoryLayout.size(ofValue: address.sun_path) else { return nil }
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { path in
            for (index, byte) in bytes.enumerated() { path[index] = byte }
        }
        let pathOffset = MemoryLayout<sockaddr_un>.offset(of: \.sun_path) ?? 2
        length = socklen_t(pathOffset + bytes.count + terminator)
    }

    /// Calls `body` with the address as the `sockaddr` that bind, connect and sendto take.
    public func withSockaddr<R, E: Error>(_ body: (UnsafePointer<sockaddr>, socklen_t) throws(E) -> R) throws(E) -> R {
        try withUnsafePointer(to: address) { (pointer) throws(E) -> R in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { (generic) throws(E) -> R in
                try body(generic, length)
            }
        }
    }
}
