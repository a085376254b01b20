import Glibc
import SkiffAPI

/// One probe's outcome and what to say about a failure.
enum ProbeResult: Sendable, Equatable {
    case success
    case failure(String)
}

/// Runs exec, httpGet and tcpSocket handlers — for probes and for postStart/preStop hooks.
struct Prober: Sendable {
    let driver: any ContainerRuntime

    /// `handler` is a probe or lifecycle handler object (exec / httpGet / tcpSocket).
    func run(_ handler: JSON, containerID: String, podIP: String, container: JSON, environment: [String], timeout: Double) async -> ProbeResult {
        if let command = handler["exec"]["command"].array?.compactMap(\.string), !handler["exec"].isNull {
            let process: JSON = [
                "args": .array(command.map { .string($0) }), "cwd": "/", "env": .array(environment.map { .string($0) }),
                "user": ["uid": 0, "gid": 0],
            ]
            do {
                let result = try await driver.execAndWait(id: containerID, process: process, timeout: timeout)
                return result.exitCode == 0 ? .success : .failure("command \(command) exited with \(result.exitCode): \(result.output.suffix(200))")
            } catch {
                return .failure("exec failed: \(error)")
            }
        }
        if !handler["httpGet"].isNull {
            let get = handler["httpGet"]
            guard let port = Self.port(get["port"], container: container) else { return .failure("httpGet port \(get["port"]) is not a port of the container") }
            let host = get["host"].string ?? podIP
            let path = get["path"].string ?? "/"
            var headers = ""
            for header in get["httpHeaders"].array ?? [] {
                headers += "\(header["name"].string ?? ""): \(header["value"].string ?? "")\r\n"
            }
            let request = "GET \(path) HTTP/1.0\r\nHost: \(host):\(port)\r\nUser-Agent: kube-probe/1.32\r\nAccept: */*\r\n\(headers)\r\n"
            return await blocking { Self.httpGet(host: host, port: port, request: request, timeout: timeout) }
        }
        if !handler["tcpSocket"].isNull {
            guard let port = Self.port(handler["tcpSocket"]["port"], container: container) else { return .failure("tcpSocket port is not a port of the container") }
            let host = handler["tcpSocket"]["host"].string ?? podIP
            return await blocking {
                let fd = Self.connect(host: host, port: port, timeout: timeout)
                guard fd >= 0 else { return .failure("dial tcp \(host):\(port): connection refused or timed out") }
                close(fd)
                return .success
            }
        }
        return .failure("handler has no exec, httpGet or tcpSocket")
    }

    /// A port number, or a named port looked up in the container's ports.
    static func port(_ value: JSON, container: JSON) -> UInt16? {
        if let number = value.int, number > 0, number < 65536 { return UInt16(number) }
        if let name = value.string {
            if let number = UInt16(name) { return number }
            for port in container["ports"].array ?? [] where port["name"].string == name {
                if let number = port["containerPort"].int { return UInt16(number) }
            }
        }
        return nil
    }

    static func connect(host: String, port: UInt16, timeout: Double) -> Int32 {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { return -1 }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { return -1 }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if result != 0 && errno != EINPROGRESS { close(fd); return -1 }
        var poller = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        guard poll(&poller, 1, Int32(timeout * 1000)) == 1 else { close(fd); return -1 }
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
        if error != 0 { close(fd); return -1 }
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags & ~O_NONBLOCK)
        var interval = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - Double(Int(timeout))) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &interval, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &interval, socklen_t(MemoryLayout<timeval>.size))
        return fd
    }

    /// HTTP/1.0 GET; 200–399 is success, as the kubelet's prober says.
    static func httpGet(host: String, port: UInt16, request: String, timeout: Double) -> ProbeResult {
        let fd = connect(host: host, port: port, timeout: timeout)
        guard fd >= 0 else { return .failure("Get \"http://\(host):\(port)\": connection refused or timed out") }
        defer { close(fd) }
        let bytes = Array(request.utf8)
        guard bytes.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == bytes.count else {
            return .failure("Get \"http://\(host):\(port)\": write failed")
        }
        var buffer = [UInt8](repeating: 0, count: 512)
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return .failure("Get \"http://\(host):\(port)\": no response") }
        let head = String(decoding: buffer[0..<count], as: UTF8.self)
        let fields = head.split(separator: " ", maxSplits: 2)
        guard fields.count >= 2, let code = Int(fields[1]) else { return .failure("malformed HTTP response") }
        return (200..<400).contains(code) ? .success : .failure("HTTP probe failed with statuscode: \(code)")
    }
}
