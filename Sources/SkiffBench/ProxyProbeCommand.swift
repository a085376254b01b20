import ArgumentParser
import Glibc

/// `skiff-bench proxy-probe`: `proxy`'s client, run inside the client namespace. Connects to
/// each target in turn, `count` rounds, and prints "TARGET-INDEX SECONDS" per connect: the time
/// from connect() to an established connection, the first packet's round trip through the
/// node's hooks.
struct ProxyProbeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proxy-probe", abstract: "Time TCP connects to IP:PORT targets (used by `proxy`).", shouldDisplay: false)

    @Option(help: "Rounds over the targets.") var count = 500
    @Argument(help: "IPv4:port targets.") var targets: [String]

    func run() throws {
        let addresses = try targets.map { target -> sockaddr_in in
            let parts = target.split(separator: ":")
            guard parts.count == 2, let port = UInt16(parts[1]) else { throw ValidationError("\(target) is not IPv4:port") }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            guard inet_pton(AF_INET, String(parts[0]), &address.sin_addr) == 1 else { throw ValidationError("\(target) is not IPv4:port") }
            return address
        }
        let clock = ContinuousClock()
        var lines = ""
        for round in 0..<(count + 10) {
            for (index, var address) in addresses.enumerated() {
                let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
                guard fd >= 0 else { throw ValidationError("socket: errno \(errno)") }
                // Close with a reset: no TIME_WAIT pile-up over thousands of connects.
                var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
                setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
                let start = clock.now
                let result = withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
                }
                let elapsed = clock.now - start
                let failure = errno
                close(fd)
                guard result == 0 else { throw ValidationError("connect to \(targets[index]) failed: errno \(failure)") }
                // The first rounds warm caches and ARP; they are not reported.
                if round >= 10 { lines += "\(index) \(elapsed.seconds)\n" }
            }
        }
        print(lines, terminator: "")
    }
}
