import SkiffSystem

/// Content digests: the only algorithm images use in practice, sha256, checked with coreutils'
/// sha256sum (one process hashes all of an image's blobs, at several hundred MB/s).
public enum Digest {
    static let sha256sum = "/usr/bin/sha256sum"

    /// "sha256:" followed by 64 lower-case hex digits.
    public static func isValid(_ digest: String) -> Bool {
        guard digest.hasPrefix("sha256:") else { return false }
        let hex = digest.utf8.dropFirst(7)
        return hex.count == 64
            && hex.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0) }
    }

    /// The 64 hex digits of a valid digest.
    public static func hex(_ digest: String) -> String { String(digest.dropFirst(7)) }

    /// sha256 of each file, as "sha256:<hex>", in the order given.
    static func sha256(of paths: [String]) throws(ImageError) -> [String] {
        if paths.isEmpty { return [] }
        let output = try ImageError.wrap { () throws(SystemError) in try Command.run(sha256sum, ["--"] + paths) }
        guard output.status == .exited(0) else { throw .toolFailed("sha256sum", output.stderr.trimmed) }
        let lines = output.stdout.split(separator: "\n")
        guard lines.count == paths.count else { throw .toolFailed("sha256sum", "expected \(paths.count) lines, got: \(output.stdout.trimmed)") }
        // A path with a backslash or newline makes sha256sum prefix the line with "\"; our blob
        // paths are hex digests, so the hash is always the first 64 characters.
        return lines.map { "sha256:" + String($0.drop { $0 == "\\" }.prefix(64)) }
    }
}

extension String {
    var trimmed: String {
        var result = Substring(self)
        while let last = result.last, last.isWhitespace { result = result.dropLast() }
        while let first = result.first, first.isWhitespace { result = result.dropFirst() }
        return String(result)
    }
}
