import Glibc
import SkiffAPI
import SkiffOCI
import SkiffSystem

/// One probe's outcome and what to say about a failure.
enum ProbeResult: Sendable, Equatable {
    case success
    case failure(String)
}

/// Runs exec, httpGet and tcpSocket handlers — for probes and for postStart/preStop hooks.
struct Prober: Sendable {
    let driver: any ContainerRuntime

    /// Runs a probe's or hook's handler against the container; a probe without one fails.
    func run(
        _ handler: LifecycleHandler?, containerID: String, podIP: String, container: Container, environment: [String], timeout: Double
    ) async -> ProbeResult {
        switch handler {
        case .exec(let command):
            guard !command.isEmpty else { return .failure("exec handler has no command") }
            let process = RuntimeSpec.Process(user: RuntimeSpec.User(uid: 0, gid: 0), args: command, env: environment, cwd: "/")
            do {
                let result = try await driver.execAndWait(id: containerID, process: process, timeout: timeout)
                return result.exitCode == 0 ? .success : .failure("command \(command) exited with \(result.exitCode): \(result.output.suffix(200))")
            } catch {
                return .failure("exec failed: \(error)")
            }
        case .httpGet(let get):
            guard let port = get.port.resolve(in: container) else { return .failure("httpGet port \(get.port) is not a port of the container") }
            guard get.scheme == .http else { return .failure("httpGet scheme HTTPS is not supported") }
            let host = get.host ?? podIP
            var headers = ""
            for header in get.httpHeaders { headers += "\(header.name): \(header.value)\r\n" }
            let request = "GET \(get.path) HTTP/1.0\r\nHost: \(host):\(port)\r\nUser-Agent: kube-probe/1.32\r\nAccept: */*\r\n\(headers)\r\n"
            return await blocking { Self.httpGet(host: host, port: port, request: request, timeout: timeout) }
        case .tcpSocket(let host, let portReference):
            guard let port = portReference.resolve(in: container) else { return .failure("tcpSocket port is not a port of the container") }
            let host = host ?? podIP
            return await blocking {
                let fd = Self.connect(host: host, port: port, timeout: timeout)
                guard fd >= 0 else { return .failure("dial tcp \(host):\(port): connection refused or timed out") }
                closeFD(fd)
                return .success
            }
        case .grpc:
            return .failure("grpc probes are not supported")
        case .sleep(let seconds):
            try? await Task.sleep(for: .seconds(Double(min(seconds, Int64(timeout)))))
            return .success
        case nil:
            return .failure("handler has no exec, httpGet or tcpSocket")
        }
    }

    static func connect(host: String, port: UInt16, timeout: Double) -> Int32 {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { return -1 }
        let target = "\(host):\(port)"
        guard
            let fd = try? sys(
                "socket", target, { socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0) })
        else { return -1 }
        // Any failure below is the probe's failure (refused, unreachable, timed out), not ours.
        do {
            // Non-blocking: the connection is under way (EINPROGRESS) until poll says writable.
            try sys("connect", target, allowing: [EINPROGRESS]) {
                withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
                }
            }
            var poller = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            guard try sys("poll", target, { poll(&poller, 1, Int32(timeout * 1000)) }) == 1 else { throw SystemError("connect", target, errno: ETIMEDOUT) }
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            try sys("getsockopt", target) { getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) }
            if error != 0 { throw SystemError("connect", target, errno: error) }
            let flags = try sys("fcntl", target) { fcntl(fd, F_GETFL) }
            try sys("fcntl", target) { fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) }
            var interval = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - Double(Int(timeout))) * 1_000_000))
            try sys("setsockopt", target) { setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &interval, socklen_t(MemoryLayout<timeval>.size)) }
            try sys("setsockopt", target) { setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &interval, socklen_t(MemoryLayout<timeval>.size)) }
            return fd
        } catch {
            closeFD(fd)
            return -1
        }
    }

    /// HTTP/1.0 GET; 200–399 is success, as the kubelet's prober says.
    static func httpGet(host: String, port: UInt16, request: String, timeout: Double) -> ProbeResult {
        let fd = connect(host: host, port: port, timeout: timeout)
        guard fd >= 0 else { return .failure("Get \"http://\(host):\(port)\": connection refused or timed out") }
        defer { closeFD(fd) }
        let bytes = Array(request.utf8)
        let sent = try? sys("send", "\(host):\(port)") { bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } }
        guard sent == bytes.count else {
            return .failure("Get \"http://\(host):\(port)\": write failed")
        }
        var buffer = [UInt8](repeating: 0, count: 512)
        let count = (try? sys("recv", "\(host):\(port)") { buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) } }) ?? -1
        guard count > 0 else { return .failure("Get \"http://\(host):\(port)\": no response") }
        let head = String(decoding: buffer[0..<count], as: UTF8.self)
        let fields = head.split(separator: " ", maxSplits: 2)
        guard fields.count >= 2, let code = Int(fields[1]) else { return .failure("malformed HTTP response") }
        return (200..<400).contains(code) ? .success : .failure("HTTP probe failed with statuscode: \(code)")
    }
}
