import Glibc
import SkiffSystem

/// What the Node object says about this host: capacity, addresses and nodeInfo, read from /proc,
/// /etc and the kernel.
struct HostFacts: Sendable {
    var cpuCount: Int
    var memoryBytes: Int64
    var ephemeralStorageBytes: Int64
    var internalIP: String
    var hostname: String
    var kernelVersion: String
    var osImage: String
    var machineID: String
    var bootID: String
    var architecture: String
    /// The lowest oom_score_adj this agent may give its containers: its own score when it lacks
    /// CAP_SYS_RESOURCE (containers, LXC, user namespaces), where the kernel refuses a lower one
    /// with EACCES; nil where any score can be set.
    var oomScoreFloor: Int?

    static func read(dataDirectory: String, nodeIP: String?) -> HostFacts {
        let cpus = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        let memInfo = (try? FileSystem.readString("/proc/meminfo")) ?? ""
        var storage = statvfs()
        let storageBytes = statvfs(dataDirectory, &storage) == 0 ? Int64(storage.f_blocks) * Int64(storage.f_frsize) : 0
        var names = utsname()
        uname(&names)
        let release = withUnsafeBytes(of: names.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let machine = withUnsafeBytes(of: names.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let osRelease = (try? FileSystem.readString("/etc/os-release")) ?? ""
        let pretty =
            osRelease.split(separator: "\n").first { $0.hasPrefix("PRETTY_NAME=") }
            .map { String($0.dropFirst("PRETTY_NAME=".count)).trimmingCharacters(in: "\"") } ?? "Linux"
        return HostFacts(
            cpuCount: max(1, cpus),
            memoryBytes: (Self.meminfoKiB(memInfo, "MemTotal") ?? 0) * 1024,
            ephemeralStorageBytes: storageBytes,
            internalIP: nodeIP ?? Self.primaryIPv4() ?? "127.0.0.1",
            hostname: Self.hostname(),
            kernelVersion: release,
            osImage: pretty,
            machineID: ((try? FileSystem.readString("/etc/machine-id")) ?? "").trimmingCharacters(in: "\n "),
            bootID: ((try? FileSystem.readString("/proc/sys/kernel/random/boot_id")) ?? "").trimmingCharacters(in: "\n "),
            architecture: machine == "x86_64" ? "amd64" : (machine == "aarch64" ? "arm64" : machine),
            oomScoreFloor: Self.oomScoreFloor(
                status: (try? FileSystem.readString("/proc/self/status")) ?? "",
                ownScore: (try? FileSystem.readString("/proc/self/oom_score_adj")) ?? "0"))
    }

    /// containerd's `restrict_oom_score_adj`, decided from the process's own state rather than a
    /// flag: without CAP_SYS_RESOURCE in the effective set, never ask for less than our own score.
    static func oomScoreFloor(status: String, ownScore: String) -> Int? {
        let capSysResource: UInt64 = 1 << 24
        let effective =
            status.split(separator: "\n").first { $0.hasPrefix("CapEff:") }
            .flatMap { UInt64($0.dropFirst("CapEff:".count).trimmingPrefix(while: { $0 == "\t" || $0 == " " }), radix: 16) } ?? 0
        if effective & capSysResource != 0 { return nil }
        return Int(ownScore.trimmingCharacters(in: "\n ")) ?? 0
    }

    static func meminfoKiB(_ text: String, _ key: String) -> Int64? {
        for line in text.split(separator: "\n") where line.hasPrefix(key + ":") {
            let fields = line.split(separator: " ")
            if fields.count >= 2 { return Int64(fields[1]) }
        }
        return nil
    }

    static func hostname() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        gethostname(&buffer, buffer.count)
        return String(nulTerminated: buffer)
    }

    /// The source address of the default route's interface: what other hosts reach us at.
    static func primaryIPv4() -> String? {
        let routes = (try? FileSystem.readString("/proc/net/route")) ?? ""
        var defaultInterface: String?
        for line in routes.split(separator: "\n").dropFirst() {
            let fields = line.split(whereSeparator: { $0 == "\t" || $0 == " " })
            if fields.count > 2, fields[1] == "00000000" {
                defaultInterface = String(fields[0])
                break
            }
        }
        var addresses: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&addresses) == 0, let first = addresses else { return nil }
        defer { freeifaddrs(addresses) }
        var fallback: String?
        var cursor: UnsafeMutablePointer<ifaddrs>? = first
        while let entry = cursor {
            defer { cursor = entry.pointee.ifa_next }
            guard let address = entry.pointee.ifa_addr, address.pointee.sa_family == sa_family_t(AF_INET) else { continue }
            let name = String(cString: entry.pointee.ifa_name)
            var text = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
            address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { inet in
                var inAddress = inet.pointee.sin_addr
                _ = inet_ntop(AF_INET, &inAddress, &text, socklen_t(INET_ADDRSTRLEN))
            }
            let ip = String(nulTerminated: text)
            if ip.hasPrefix("127.") { continue }
            if name == defaultInterface { return ip }
            if fallback == nil { fallback = ip }
        }
        return fallback
    }
}

extension String {
    func trimmingCharacters(in set: String) -> String {
        var slice = Substring(self)
        while let first = slice.first, set.contains(first) { slice = slice.dropFirst() }
        while let last = slice.last, set.contains(last) { slice = slice.dropLast() }
        return String(slice)
    }
}
