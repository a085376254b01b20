import Glibc
import SkiffLogs
import SkiffSystem

/// A temporary directory for one test, removed by `remove()` (call it in a defer).
struct Scratch {
    let path: String

    init() throws {
        var template = Array("/tmp/skiff-logs-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw SystemError("mkdtemp", "/tmp/skiff-logs-XXXXXX", errno: errno) }
        path = String(cString: made)
    }

    func remove() { try? FileSystem.removeTree(path) }

    /// Writes CRI records to `name` (appending), one per (stream, tag, content).
    func writeLog(_ name: String, _ records: [(CRILogLine.Stream, Bool, String)], startSecond: Int64 = 1_700_000_000) throws {
        var bytes: [UInt8] = []
        for (index, record) in records.enumerated() {
            let time = CRITimestamp(seconds: startSecond + Int64(index), nanoseconds: 120_000_000)
            bytes += CRILogLine(timestamp: time.fixedWidth, stream: record.0, isPartial: record.1, content: Array(record.2.utf8)).formatted
        }
        try append(name, bytes)
    }

    func append(_ name: String, _ bytes: [UInt8]) throws {
        let file = path + "/" + name
        let fd = try sys("open", file) { open(file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644) }
        defer { closeFD(fd) }
        try FileSystem.writeAll(fd: fd, bytes, name: file)
    }
}

extension Array where Element == UInt8 {
    var text: String { String(decoding: self, as: UTF8.self) }
}
