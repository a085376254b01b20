import Glibc
import SkiffSystem

/// Applies an image's layers, in order, to a root filesystem directory with GNU tar.
///
/// A layer's whiteouts only hide what lower layers made (image-spec, "Whiteouts"), so before
/// extracting a layer we list it, delete what its `.wh.NAME` and `.wh..wh..opq` entries hide and
/// what its entries replace with another file type, and then extract it without the whiteout
/// entries. The first layer has nothing below it and is extracted directly.
struct LayerUnpacker {
    static let tar = "/usr/bin/tar"
    static let whiteoutPrefix = ".wh."
    static let opaqueMarker = ".wh..wh..opq"

    let rootfs: String

    func apply(blob: String, compression: LayerCompression, digest: String, isFirst: Bool) throws(ImageError) {
        if compression == .zstd && !FileSystem.exists("/usr/bin/zstd") {
            throw .invalidImage("layer \(digest) is zstd-compressed and /usr/bin/zstd is not installed")
        }
        if !isFirst {
            let members = try list(blob: blob, digest: digest)
            try prepare(for: members, digest: digest)
        }
        // tar recognizes gzip and zstd by their magic bytes, which also copes with layers whose
        // media type misnames the compression.
        let arguments = [
            "-x", "-f", blob, "-C", rootfs, "--numeric-owner", "--same-owner", "--same-permissions",
            "--xattrs", "--xattrs-include=security.capability", "--exclude=\(Self.whiteoutPrefix)*",
        ]
        let output = try ImageError.wrap { () throws(SystemError) in try Command.run(Self.tar, arguments) }
        guard output.status == .exited(0) else {
            throw .invalidImage("cannot unpack layer \(digest): tar: \(output.stderr.trimmed)")
        }
    }

    /// Member names, relative to the root, in archive order; directories keep a trailing "/".
    private func list(blob: String, digest: String) throws(ImageError) -> [String] {
        let output = try ImageError.wrap { () throws(SystemError) in
            try Command.run(Self.tar, ["-t", "-f", blob, "--quoting-style=escape"])
        }
        guard output.status == .exited(0) else {
            throw .invalidImage("cannot read layer \(digest): tar: \(output.stderr.trimmed)")
        }
        return output.stdout.split(separator: "\n").compactMap { line in
            var name = Self.unescapeTarName(line)
            while name.hasPrefix("./") { name.removeFirst(2) }
            while name.hasPrefix("/") { name.removeFirst() }
            return name.isEmpty || name == "." ? nil : name
        }
    }

    /// Deletes what the layer hides or replaces, and refuses a layer that would write through a
    /// symbolic link a lower layer left (tar follows those; containerd unpacks in a chroot instead).
    private func prepare(for members: [String], digest: String) throws(ImageError) {
        var checkedParents: Set<String> = []
        for member in members {
            let isDirectory = member.hasSuffix("/")
            let relative = isDirectory ? String(member.dropLast()) : member
            var components = relative.split(separator: "/").map(String.init)
            guard let last = components.popLast() else { continue }
            if components.contains("..") || last == ".." {
                throw .invalidImage("layer \(digest) has a member outside the root: \(member)")
            }
            let parent = components.joined(separator: "/")
            guard try parentIsPlain(parent, digest: digest, checked: &checkedParents) else { continue }
            let parentPath = parent.isEmpty ? rootfs : rootfs + "/" + parent
            if last == Self.opaqueMarker {
                for child in (try? FileSystem.listDirectory(parentPath)) ?? [] { try remove(parentPath + "/" + child) }
            } else if last.hasPrefix(Self.whiteoutPrefix) {
                try remove(parentPath + "/" + last.dropFirst(Self.whiteoutPrefix.count))
            } else {
                let path = parentPath + "/" + last
                var st = stat()
                guard lstat(path, &st) == 0 else { continue }
                let existingIsDirectory = (st.st_mode & S_IFMT) == S_IFDIR
                if existingIsDirectory != isDirectory { try remove(path) }
            }
        }
    }

    /// True when every component of `parent` that exists in the rootfs is a real directory;
    /// false when one is missing (nothing below it to delete). Throws on a symlink.
    private func parentIsPlain(_ parent: String, digest: String, checked: inout Set<String>) throws(ImageError) -> Bool {
        if parent.isEmpty || checked.contains(parent) { return true }
        var prefix = ""
        for component in parent.split(separator: "/") {
            prefix += prefix.isEmpty ? String(component) : "/" + component
            if checked.contains(prefix) { continue }
            var st = stat()
            guard lstat(rootfs + "/" + prefix, &st) == 0 else { return false }
            switch st.st_mode & S_IFMT {
            case S_IFDIR: checked.insert(prefix)
            case S_IFLNK: throw .invalidImage("layer \(digest) writes through the symbolic link /\(prefix) from a lower layer")
            default: return false
            }
        }
        return true
    }

    private func remove(_ path: String) throws(ImageError) {
        try ImageError.wrap { () throws(SystemError) in try FileSystem.removeTree(path) }
    }

    /// Undoes tar's escape quoting style (\\, \n, \t…, \ooo octal) on a listed name.
    static func unescapeTarName(_ line: Substring) -> String {
        var bytes: [UInt8] = []
        var rest = Array(line.utf8)[...]
        while let byte = rest.popFirst() {
            guard byte == UInt8(ascii: "\\"), let next = rest.first else {
                bytes.append(byte)
                continue
            }
            if let value = UInt8(String(decoding: rest.prefix(3), as: UTF8.self), radix: 8), rest.prefix(3).count == 3 {
                bytes.append(value)
                rest = rest.dropFirst(3)
                continue
            }
            rest = rest.dropFirst()
            switch next {
            case UInt8(ascii: "n"): bytes.append(10)
            case UInt8(ascii: "t"): bytes.append(9)
            case UInt8(ascii: "r"): bytes.append(13)
            case UInt8(ascii: "a"): bytes.append(7)
            case UInt8(ascii: "b"): bytes.append(8)
            case UInt8(ascii: "f"): bytes.append(12)
            case UInt8(ascii: "v"): bytes.append(11)
            default: bytes.append(next)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
