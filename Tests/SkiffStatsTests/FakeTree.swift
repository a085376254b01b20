import Glibc
import SkiffStats
import SkiffSystem

/// A temp directory of fake cgroup or /proc files for unit tests; removed by `remove()`.
struct FakeTree {
    let root: String

    init() throws {
        var template = Array("/tmp/skiff-stats-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        guard made != nil else { throw SystemError("mkdtemp", "/tmp/skiff-stats-XXXXXX", errno: errno) }
        root = String(cString: template.withUnsafeBufferPointer { $0.baseAddress! })
    }

    /// Writes `content` to root/path, creating the directories on the way.
    func write(_ path: String, _ content: String) throws {
        let full = root + "/" + path
        if let slash = full.lastIndex(of: "/") { _ = try FileSystem.makeDirectories(String(full[..<slash])) }
        try FileSystem.write(full, content, flags: O_WRONLY | O_CREAT | O_TRUNC)
    }

    func remove() { try? FileSystem.removeTree(root) }
}

/// A sample clock `second` seconds after an arbitrary start.
func clock(second: Int64) -> SampleClock {
    SampleClock(wall: StatsTime(seconds: 1_790_000_000 + second), monotonicNanoseconds: 5_000_000_000 + UInt64(second) * 1_000_000_000)
}
