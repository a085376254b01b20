import FoundationEssentials
import Glibc
import SkiffImages
import Testing

@Suite("What a killed pull leaves behind")
struct AbandonedPullTests {
    /// A pid no process has now.
    static func deadPID() -> pid_t {
        var pid: pid_t = 4_000_000
        while kill(pid, 0) == 0 || errno != ESRCH { pid -= 1 }
        return pid
    }

    @Test("partial blobs and pull staging of a dead process are removed; this process's stay; verified blobs are untouched")
    func cleanup() throws {
        let root = "/tmp/skiff-abandoned-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { _ = try? FileManager.default.removeItem(atPath: root) }
        let store = ImageStore(root: root)
        try store.prepareBlobDirectories()
        let hex = String(repeating: "a", count: 64)
        let dead = Self.deadPID()
        let files = [
            "\(root)/blobs/partial/\(hex).\(dead).1", "\(root)/blobs/partial/\(hex).\(getpid()).2", "\(root)/blobs/sha256/\(hex)",
        ]
        for file in files { #expect(FileManager.default.createFile(atPath: file, contents: Data("x".utf8))) }
        try FileManager.default.createDirectory(atPath: "\(root)/pulls/\(dead).7/blobs", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: "\(root)/pulls/\(getpid()).8", withIntermediateDirectories: true)

        #expect(store.removeAbandonedPulls() == 2)
        #expect(!FileManager.default.fileExists(atPath: files[0]))
        #expect(FileManager.default.fileExists(atPath: files[1]))
        #expect(FileManager.default.fileExists(atPath: files[2]))
        #expect(!FileManager.default.fileExists(atPath: "\(root)/pulls/\(dead).7"))
        #expect(FileManager.default.fileExists(atPath: "\(root)/pulls/\(getpid()).8"))
    }
}
