import Glibc
import SkiffSystem

/// Where errors and debug lines go: always stderr, and `--log FILE` in text or JSON
/// (`{"level":"error","msg":…}`), which containerd's shim reads after a failure.
struct Log {
    var file: String?
    var json = false
    var debug = false

    func error(_ message: String) {
        FileSystem.standardError(message + "\n")
        append(level: "error", message)
    }

    func debugLine(_ message: String) {
        guard debug else { return }
        append(level: "debug", message)
    }

    private func append(level: String, _ message: String) {
        guard let file else { return }
        let time = currentTimestamp()
        let line = json
            ? "{\"level\":\"\(level)\",\"msg\":\(jsonString(message)),\"time\":\"\(time)\"}\n"
            : "time=\"\(time)\" level=\(level) msg=\(jsonString(message))\n"
        try? FileSystem.write(file, line, flags: O_WRONLY | O_CREAT | O_APPEND)
    }
}

func jsonString(_ text: String) -> String {
    var result = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": result += "\\\""
        case "\\": result += "\\\\"
        case "\n": result += "\\n"
        case "\r": result += "\\r"
        case "\t": result += "\\t"
        default:
            if scalar.value < 0x20 {
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
    }
    return result + "\""
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
    static func standardOutput(_ text: String) { try? writeAll(fd: 1, Array(text.utf8), name: "stdout") }
    static func standardError(_ text: String) { try? writeAll(fd: 2, Array(text.utf8), name: "stderr") }
}
