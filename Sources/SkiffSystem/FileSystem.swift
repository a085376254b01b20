import Glibc

/// Plain file-system helpers over the syscall funnel; no Foundation, so the runtime starts fast.
public enum FileSystem {
    public static func readBytes(_ path: String) throws(SystemError) -> [UInt8] {
        let fd = try sys("open", path.quoted) { open(path, O_RDONLY | O_CLOEXEC) }
        defer { closeFD(fd) }
        return try readAll(fd: fd, name: path)
    }

    /// The file's bytes, or nil when nothing is at `path` (ENOENT).
    public static func readBytesIfPresent(_ path: String) throws(SystemError) -> [UInt8]? {
        let opened = try sys("open", path.quoted, allowing: [ENOENT]) { open(path, O_RDONLY | O_CLOEXEC) }
        guard case .succeeded(let fd) = opened else { return nil }
        defer { closeFD(fd) }
        return try readAll(fd: fd, name: path)
    }

    public static func readString(_ path: String) throws(SystemError) -> String {
        String(decoding: try readBytes(path), as: UTF8.self)
    }

    /// Reads until EOF.
    public static func readAll(fd: Int32, name: String) throws(SystemError) -> [UInt8] {
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        while true {
            let n = try sys("read", name.quoted) { chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) } }
            if n == 0 { return result }
            result.append(contentsOf: chunk[0..<n])
        }
    }

    public static func writeAll(fd: Int32, _ bytes: [UInt8], name: String) throws(SystemError) {
        var offset = 0
        while offset < bytes.count {
            let n = try sys("write", name.quoted) {
                bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            }
            offset += n
        }
    }

    /// Writes a whole file. Cgroup and proc files want one write with the whole value, which
    /// this does for anything shorter than a page.
    public static func write(
        _ path: String, _ content: String, flags: Int32 = O_WRONLY | O_CREAT | O_TRUNC, mode: mode_t = 0o644
    ) throws(SystemError) {
        let fd = try sys("open", path.quoted) { open(path, flags | O_CLOEXEC, mode) }
        defer { closeFD(fd) }
        try writeAll(fd: fd, Array(content.utf8), name: path)
    }

    /// Writes to a temporary sibling and renames it over `path`, so readers never see half a file.
    public static func writeAtomically(_ path: String, _ content: String, mode: mode_t = 0o600) throws(SystemError) {
        let temporary = "\(path).tmp\(getpid())"
        try write(temporary, content, mode: mode)
        try sys("rename", "\(temporary.quoted) -> \(path.quoted)") { rename(temporary, path) }
    }

    public static func exists(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0
    }

    public static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    public static func fileMode(_ path: String, followSymlinks: Bool = false) throws(SystemError) -> mode_t {
        var st = stat()
        if followSymlinks {
            try sys("stat", path.quoted) { stat(path, &st) }
        } else {
            try sys("lstat", path.quoted) { lstat(path, &st) }
        }
        return st.st_mode
    }

    /// Creates `path` and missing parents. Returns the directories it created, outermost first,
    /// so a failed operation can remove exactly what it made.
    @discardableResult
    public static func makeDirectories(_ path: String, mode: mode_t = 0o755) throws(SystemError) -> [String] {
        var created: [String] = []
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            current += "/" + component
            let made = try sys("mkdir", current.quoted, allowing: [EEXIST]) { mkdir(current, mode) }
            if case .succeeded = made { created.append(current) }
        }
        return created
    }

    public static func listDirectory(_ path: String) throws(SystemError) -> [String] {
        let dir = try sys("opendir", path.quoted) { opendir(path) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// The names of the directories in `path`, from readdir's d_type (no stat per entry), so a
    /// cgroup's children are found without touching its many files.
    public static func listSubdirectories(_ path: String) throws(SystemError) -> [String] {
        let dir = try sys("opendir", path.quoted) { opendir(path) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            guard entry.pointee.d_type == UInt8(DT_DIR) else { continue }
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Removes a file or a whole tree without crossing into other mounts' contents: it never
    /// follows symlinks.
    public static func removeTree(_ path: String) throws(SystemError) {
        var st = stat()
        let found = try sys("lstat", path.quoted, allowing: [ENOENT]) { lstat(path, &st) }
        guard case .succeeded = found else { return }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            for name in try listDirectory(path) { try removeTree(path + "/" + name) }
            try sys("rmdir", path.quoted) { rmdir(path) }
        } else {
            try sys("unlink", path.quoted) { unlink(path) }
        }
    }

    public static func symlinkTarget(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink(path, &buffer, buffer.count - 1)
        guard n >= 0 else { return nil }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

extension String {
    /// A string from a C buffer filled up to a NUL (getcwd, strftime, ptsname_r…).
    public init(nulTerminated buffer: [CChar]) {
        self = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
