import CSkiffShim
import Glibc

/// The one funnel every system call goes through: retries EINTR and turns a failure into a
/// `SystemError` naming the call and its argument.
///
/// `body` follows the libc convention (returns -1 and sets errno).
@discardableResult
@inline(__always)
public func sys<T: FixedWidthInteger>(
    _ call: String, _ argument: @autoclosure () -> String, _ body: () -> T
) throws(SystemError) -> T {
    while true {
        let result = body()
        if result != -1 { return result }
        let err = errno
        if err == EINTR { continue }
        throw SystemError(call, argument(), errno: err)
    }
}

/// The funnel for the C shim's functions, which return -errno instead of setting errno.
@discardableResult
@inline(__always)
public func shim<T: FixedWidthInteger>(
    _ call: String, _ argument: @autoclosure () -> String, _ body: () -> T
) throws(SystemError) -> T {
    while true {
        let result = body()
        if result >= 0 { return result }
        let err = Int32(truncatingIfNeeded: 0 - result)
        if err == EINTR { continue }
        throw SystemError(call, argument(), errno: err)
    }
}

/// Closes a descriptor without retrying: after EINTR the descriptor is already gone on Linux,
/// and retrying could close one another thread just opened.
@inline(__always)
public func closeFD(_ fd: Int32) {
    if fd >= 0 { _ = Glibc.close(fd) }
}

extension String {
    /// Quoted for error messages.
    public var quoted: String { "\"\(self)\"" }
}
