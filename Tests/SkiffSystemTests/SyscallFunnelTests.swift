import Glibc
import SkiffSystem
import Testing

@Suite("the syscall funnel's errno policy")
struct SyscallFunnelTests {
    /// A body that fails the way libc does: -1 with `errno` set.
    static func failing(_ err: Int32) -> Int32 {
        errno = err
        return -1
    }

    @Test("an errno the caller names comes back to it instead of being thrown")
    func allowedErrnoIsReturned() throws {
        let directory = try TemporaryDirectory()
        let made = try sys("mkdir", directory.path.quoted, allowing: [EEXIST]) { mkdir(directory.path, 0o755) }
        #expect(made == .failed(EEXIST))
        let fresh = directory.path + "/fresh"
        let madeFresh = try sys("mkdir", fresh.quoted, allowing: [EEXIST]) { mkdir(fresh, 0o755) }
        #expect(madeFresh == .succeeded(0))
        #expect(FileSystem.isDirectory(fresh))
        let removed = try sys("rmdir", fresh.quoted, allowing: [ENOENT, EBUSY]) { Self.failing(EBUSY) }
        #expect(removed == .failed(EBUSY))
        #expect(removed.value == nil)
    }

    @Test("EINTR is retried until the call completes", arguments: [false, true])
    func interruptedCallsAreRetried(allowing: Bool) throws {
        var calls = 0
        let body = { () -> Int32 in
            calls += 1
            return calls <= 2 ? Self.failing(EINTR) : 7
        }
        if allowing {
            #expect(try sys("read", "pipe", allowing: [EAGAIN], body) == .succeeded(7))
        } else {
            #expect(try sys("read", "pipe", body) == 7)
        }
        #expect(calls == 3)
    }

    @Test("the shim funnel retries -EINTR and hands back the -errno codes the caller names")
    func shimPolicy() throws {
        var calls = 0
        let value = try shim("pidfd_open", "1") { () -> Int32 in
            calls += 1
            return calls == 1 ? -EINTR : 5
        }
        #expect(value == 5 && calls == 2)
        #expect(try shim("seccomp_arch_add", "x86", allowing: [EEXIST]) { -EEXIST } == .failed(EEXIST))
        let error = #expect(throws: SystemError.self) { try shim("unshare", "0x10000000") { -EPERM } }
        #expect(error == SystemError("unshare", "0x10000000", errno: EPERM))
    }

    @Test("any other errno throws a SystemError naming the call, its argument and the errno")
    func otherErrnosThrow() throws {
        let missing = "/nonexistent-skiff-test/config.json"
        let error = #expect(throws: SystemError.self) {
            try sys("open", missing.quoted) { open(missing, O_RDONLY | O_CLOEXEC) }
        }
        #expect(error?.description == "open(\"/nonexistent-skiff-test/config.json\"): no such file or directory (ENOENT)")
        let notAllowed = #expect(throws: SystemError.self) {
            try sys("rmdir", "\"/busy\"", allowing: [ENOENT]) { Self.failing(EBUSY) }
        }
        #expect(notAllowed?.description == "rmdir(\"/busy\"): device or resource busy (EBUSY)")
    }

    @Test("pointer-returning calls throw errno when they return NULL")
    func pointerCalls() throws {
        let missing = "/nonexistent-skiff-test"
        let error = #expect(throws: SystemError.self) { try sys("opendir", missing.quoted) { opendir(missing) } }
        #expect(error == SystemError("opendir", missing.quoted, errno: ENOENT))
        let directory = try sys("opendir", "\"/\"") { opendir("/") }
        closedir(directory)
    }

    @Test("library codes throw without a trap, even -EFAULT, and named ones come back")
    func libraryCodes() throws {
        #expect(try library("seccomp_arch_add", "x86", allowing: [EEXIST]) { Int32(-EEXIST) } == .failed(EEXIST))
        let error = #expect(throws: SystemError.self) { try library("seccomp_load", "3 rules") { Int32(-EFAULT) } }
        #expect(error?.errno == EFAULT)
    }

    @Test("closeFD closes the descriptor: the pipe's reader sees end of file")
    func closeThroughTheHelper() throws {
        let pipe = try Pipe()
        defer { closeFD(pipe.read) }
        closeFD(pipe.write)
        var byte: UInt8 = 0
        #expect(try sys("read", "pipe") { read(pipe.read, &byte, 1) } == 0)
        closeFD(-1)  // "not open": nothing to do
    }

    @Test("a missing file reads as nil; other failures still throw")
    func readIfPresent() throws {
        #expect(try FileSystem.readBytesIfPresent("/nonexistent-skiff-test/file") == nil)
        let directory = try TemporaryDirectory()
        try FileSystem.write(directory.path + "/file", "content")
        #expect(try FileSystem.readBytesIfPresent(directory.path + "/file") == Array("content".utf8))
        #expect(throws: SystemError.self) { try FileSystem.readBytesIfPresent(directory.path + "/file/below") }
    }
}

@Suite("the funnel traps on errnos that are our own bugs")
struct SyscallFunnelTrapTests {
    @Test("closing a descriptor that is not open traps, naming close and the descriptor")
    func doubleCloseTraps() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            closeFD(Int32.max)
        }
        let stderr = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(stderr.contains("close(2147483647): bad file descriptor (EBADF)"))
    }

    @Test("EBADF from a call traps instead of throwing, even inside a do/catch")
    func badDescriptorTraps() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            var byte: UInt8 = 0
            do {
                _ = try sys("read", "descriptor 2147483647") { read(Int32.max, &byte, 1) }
            } catch {
                // A thrown error would exit 0 here: only the trap fails the process.
            }
        }
        let stderr = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(stderr.contains("read(descriptor 2147483647): bad file descriptor (EBADF)"))
    }

    @Test("EFAULT traps, naming the call")
    func badAddressTraps() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let pipe = try Pipe()
            try FileSystem.writeAll(fd: pipe.write, [1], name: "pipe")
            _ = try sys("read", "into address 8") { read(pipe.read, UnsafeMutableRawPointer(bitPattern: 8), 1) }
        }
        let stderr = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(stderr.contains("read(into address 8): bad address (EFAULT)"))
    }

    @Test("an allowed EBADF is the caller's to handle: it comes back rather than trapping")
    func allowedBadDescriptorReturns() throws {
        let probed = try sys("fcntl(F_GETFD)", "\(Int32.max)", allowing: [EBADF]) { fcntl(Int32.max, F_GETFD) }
        #expect(probed == .failed(EBADF))
    }
}

/// A directory under /tmp, removed with everything in it when the value goes away.
final class TemporaryDirectory {
    let path: String

    init() throws {
        var template = Array("/tmp/skiff-system-test-XXXXXX".utf8CString)
        let made = try sys("mkdtemp", "/tmp/skiff-system-test-XXXXXX") { mkdtemp(&template) }
        path = String(cString: made)
    }

    deinit { try? FileSystem.removeTree(path) }
}
