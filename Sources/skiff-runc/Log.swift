import Glibc
import SkiffJSON
import SkiffSystem

/// Where errors and debug lines go: always stderr, and `--log FILE` in text or JSON
/// (`{"level":"error","msg":…}`), which containerd's shim reads after a failure.
struct Log {
    /// The `--log` file, opened for appending when the command starts.
    private(set) var fd: Int32?
    var json = false
    var debug = false

    /// Opens `--log FILE` up front, as runc does: a path that cannot be opened fails the command
    /// (in the OS's words) instead of losing every line written later.
    mutating func open(_ path: String) throws {
        do {
            fd = try sys("open", path.quoted) { Glibc.open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644) }
        } catch {
            throw RuntimeError("open \(path): \(error.reason)")
        }
    }

    func error(_ message: String) {
        FileSystem.standardError(message + "\n")
        append(level: "error", message)
    }

    func debugLine(_ message: String) {
        guard debug else { return }
        append(level: "debug", message)
    }

    private func append(level: String, _ message: String) {
        guard let fd else { return }
        let time = currentTimestamp()
        let line =
            json
            ? "{\"level\":\"\(level)\",\"msg\":\(JSON.quoted(message)),\"time\":\"\(time)\"}\n"
            : "time=\"\(time)\" level=\(level) msg=\(JSON.quoted(message))\n"
        try? FileSystem.writeAll(fd: fd, Array(line.utf8), name: "--log")
    }
}

func currentTimestamp() -> String {
    var time = Glibc.time(nil)
    var parts = tm()
    gmtime_r(&time, &parts)
    var buffer = [CChar](repeating: 0, count: 32)
    strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%SZ", &parts)
    return String(nulTerminated: buffer)
}

extension FileSystem {
    static func standardOutput(_ text: String) { try? StandardStream.output.write(Array(text.utf8)) }
    static func standardError(_ text: String) { try? StandardStream.error.write(Array(text.utf8)) }
}
