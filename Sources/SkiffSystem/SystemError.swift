import CSkiffShim
import Glibc

/// A failed system call: which call, on what, and the errno it returned.
/// Renders as `mount("proc" -> "/rootfs/proc"): EPERM (Operation not permitted)`.
public struct SystemError: Error, CustomStringConvertible, Equatable, Sendable {
    public let call: String
    public let argument: String
    public let errno: Int32

    public init(_ call: String, _ argument: String, errno: Int32) {
        self.call = call
        self.argument = argument
        self.errno = errno
    }

    public var errnoName: String {
        guard let name = skiff_errno_name(errno) else { return "errno \(errno)" }
        return String(cString: name)
    }

    public var description: String {
        "\(call)(\(argument)): \(errnoName) (\(String(cString: strerror(errno))))"
    }
}

/// An error with a message meant for the user, optionally wrapping the system error behind it.
public struct RuntimeError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
