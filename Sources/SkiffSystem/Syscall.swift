import CSkiffShim
import Glibc

// The one funnel every system call goes through, with swift-nio's errno policy
// (NIOPosix/System.swift):
// - EINTR is retried: a signal arriving mid-call is never a failure.
// - EBADF and EFAULT trap: a descriptor we closed or never opened, or a pointer we built wrong,
//   is a bug in Skiff, and carrying on would act on whatever descriptor reuses that number.
// - errnos the caller names in `allowing:` are handed back to it as an expected outcome.
// - every other errno throws a `SystemError` naming the call and its argument.
// `close` is the exception to the retry rule: see `closeFD`.

/// What a call that may fail in an expected way returned: its value, or one of the errnos the
/// caller named in `allowing:`.
public enum SyscallResult<Value> {
    case succeeded(Value)
    /// Failed with this errno, which the caller said to expect.
    case failed(Int32)

    /// The value, or nil when the call failed with an expected errno.
    public var value: Value? {
        if case .succeeded(let value) = self { return value }
        return nil
    }
}

extension SyscallResult: Sendable where Value: Sendable {}
extension SyscallResult: Equatable where Value: Equatable {}

/// Calls `body`, a libc function that returns -1 and sets errno on failure, under the funnel's
/// policy; `call` and `argument` name it in errors ("mkdir", "\"/run/skiff\"").
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
        throw unexpected(call, argument(), errno: err)
    }
}

/// `sys` for a call where some failures are expected: those errnos come back as `.failed`
/// instead of being thrown, so the caller says which outcomes it handles by naming them:
/// `try sys("mkdir", path.quoted, allowing: [EEXIST]) { mkdir(path, 0o755) }`.
@discardableResult
@inline(__always)
public func sys<T: FixedWidthInteger>(
    _ call: String, _ argument: @autoclosure () -> String, allowing expected: [Int32], _ body: () -> T
) throws(SystemError) -> SyscallResult<T> {
    while true {
        let result = body()
        if result != -1 { return .succeeded(result) }
        let err = errno
        if err == EINTR { continue }
        if expected.contains(err) { return .failed(err) }
        throw unexpected(call, argument(), errno: err)
    }
}

/// `sys` for libc functions that return a pointer, NULL with errno set on failure (opendir,
/// realpath, cap_init).
@inline(__always)
public func sys<Pointer>(
    _ call: String, _ argument: @autoclosure () -> String, _ body: () -> Pointer?
) throws(SystemError) -> Pointer {
    while true {
        if let result = body() { return result }
        let err = errno
        if err == EINTR { continue }
        throw unexpected(call, argument(), errno: err)
    }
}

/// The funnel for the C shim's functions and libseccomp's, which return -errno instead of
/// setting errno.
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
        throw unexpected(call, argument(), errno: err)
    }
}

/// `shim` for a call where some failures are expected; see `sys(_:_:allowing:_:)`.
@discardableResult
@inline(__always)
public func shim<T: FixedWidthInteger>(
    _ call: String, _ argument: @autoclosure () -> String, allowing expected: [Int32], _ body: () -> T
) throws(SystemError) -> SyscallResult<T> {
    while true {
        let result = body()
        if result >= 0 { return .succeeded(result) }
        let err = Int32(truncatingIfNeeded: 0 - result)
        if err == EINTR { continue }
        if expected.contains(err) { return .failed(err) }
        throw unexpected(call, argument(), errno: err)
    }
}

/// The funnel for C libraries that report failure as a negative errno code of their own
/// (libseccomp): the codes the caller names come back as `.failed`, every other one throws. No
/// trap and no retry, because the code is the library's verdict rather than a system call's:
/// libseccomp's -EFAULT means "internal libseccomp failure", not a bad address of ours.
@discardableResult
public func library<T: FixedWidthInteger>(
    _ call: String, _ argument: @autoclosure () -> String, allowing expected: [Int32] = [], _ body: () -> T
) throws(SystemError) -> SyscallResult<T> {
    let result = body()
    if result >= 0 { return .succeeded(result) }
    let err = Int32(truncatingIfNeeded: 0 - result)
    if expected.contains(err) { return .failed(err) }
    throw SystemError(call, argument(), errno: err)
}

/// Closes a descriptor we own; a negative one means "not open" and is skipped. It is never
/// retried: after EINTR the descriptor is already gone on Linux, and a retry could close one
/// another thread just opened. EBADF traps (a double close is a bug that, left alone, closes
/// someone else's descriptor); other errors (EIO from a network file system) are dropped, as
/// nothing is left to act on: writes that must be durable are fsynced before.
/// The corresponding C function is `close`.
public func closeFD(_ fd: Int32) {
    guard fd >= 0 else { return }
    if Glibc.close(fd) == -1 && errno == EBADF {
        ourBug(SystemError("close", "\(fd)", errno: EBADF))
    }
}

/// The error for an errno nobody expected, after trapping on the ones that are our bugs.
@inline(never)
func unexpected(_ call: String, _ argument: String, errno err: Int32) -> SystemError {
    let error = SystemError(call, argument, errno: err)
    if err == EBADF || err == EFAULT { ourBug(error) }
    return error
}

/// Stops the process: a call failed in a way only a bug in Skiff can cause. `fatalError`, not
/// `preconditionFailure`, because release builds (skiff-runc ships as one) drop a precondition's
/// message, and the message is all there is to go on, from a container init especially.
@inline(never)
func ourBug(_ error: SystemError) -> Never {
    fatalError("\(error): a bad descriptor or address passed by Skiff itself")
}

extension String {
    /// Quoted for error messages.
    public var quoted: String { "\"\(self)\"" }
}
