import CSkiffShim
import Glibc

/// A failed system call: which call, on what, and the errno it returned.
/// Renders as `mount("proc" -> "/rootfs/proc"): operation not permitted (EPERM)`.
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

    /// The OS's own wording in the spelling Go programs print ("no such file or directory"):
    /// strerror's text with a lowercase first letter. Callers such as containerd match on it.
    public var reason: String {
        let text = String(cString: strerror(errno))
        guard let first = text.first, first.isUppercase, text.dropFirst().first?.isUppercase != true else { return text }
        return first.lowercased() + text.dropFirst()
    }

    public var description: String {
        "\(call)(\(argument)): \(reason) (\(errnoName))"
    }
}

/// An error with a message meant for the user, optionally wrapping the system error behind it.
public struct RuntimeError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
