import SkiffSystem

/// An image name normalized the way Docker and Kubernetes do, so "busybox", "busybox:latest" and
/// "docker.io/library/busybox:latest" are the same image.
public struct ImageReference: Hashable, Sendable, CustomStringConvertible {
    /// Registry host, "docker.io" when the name has none.
    public let domain: String
    /// Path inside the registry; Docker Hub's official images get "library/".
    public let path: String
    /// nil only when the reference pins a digest and names no tag.
    public let tag: String?
    /// "sha256:<hex>" from a `name@sha256:…` reference.
    public let digest: String?

    public static let defaultDomain = "docker.io"
    public static let defaultTag = "latest"

    /// Parses and normalizes `text`, defaulting the registry to docker.io and the tag to latest.
    public init(parsing text: String) throws(ImageError) {
        let bad = { (why: String) in ImageError.invalidReference(text, why) }
        guard !text.isEmpty else { throw bad("empty") }
        guard text.utf8.count <= 255 else { throw bad("longer than 255 characters") }
        var rest = Substring(text)
        var digest: String?
        if let at = rest.firstIndex(of: "@") {
            let pinned = String(rest[rest.index(after: at)...])
            guard Digest.isValid(pinned) else { throw bad("digest \(pinned.quoted) is not sha256:<64 hex digits>") }
            digest = pinned
            rest = rest[..<at]
        }
        var tag: String?
        let lastSlash = rest.lastIndex(of: "/")
        if let colon = rest.lastIndex(of: ":"), lastSlash.map({ colon > $0 }) ?? true {
            let candidate = String(rest[rest.index(after: colon)...])
            guard Self.isValidTag(candidate) else { throw bad("tag \(candidate.quoted) is not [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}") }
            tag = candidate
            rest = rest[..<colon]
        }
        var domain = Self.defaultDomain
        var path = String(rest)
        if let slash = rest.firstIndex(of: "/") {
            let first = rest[..<slash]
            // Docker's rule: a first component with a dot or port, "localhost", or an upper-case
            // letter is a registry host, not a Docker Hub user.
            if first.contains(".") || first.contains(":") || first == "localhost" || first.contains(where: \.isUppercase) {
                domain = String(first)
                path = String(rest[rest.index(after: slash)...])
            }
        }
        if domain == "index.docker.io" { domain = Self.defaultDomain }
        if domain == Self.defaultDomain && !path.contains("/") { path = "library/" + path }
        guard Self.isValidPath(path) else {
            throw bad("repository \(path.quoted) must be lower-case letters, digits and separators (. _ __ -) between '/'")
        }
        if tag == nil && digest == nil { tag = Self.defaultTag }
        self.domain = domain
        self.path = path
        self.tag = tag
        self.digest = digest
    }

    /// "docker.io/library/busybox".
    public var repository: String { domain + "/" + path }

    /// The normalized full name, "docker.io/library/busybox:latest" (or "…@sha256:…").
    public var description: String {
        var result = repository
        if let tag { result += ":" + tag }
        if let digest { result += "@" + digest }
        return result
    }

    /// The short form Docker shows: "busybox:latest", "user/app:1", "quay.io/x/y:2".
    public var familiar: String {
        var name = repository
        if domain == Self.defaultDomain {
            name = path.hasPrefix("library/") ? String(path.dropFirst(8)) : path
        }
        if let tag { name += ":" + tag }
        if let digest { name += "@" + digest }
        return name
    }

    static func isValidTag(_ tag: String) -> Bool {
        guard let first = tag.utf8.first, tag.utf8.count <= 128 else { return false }
        let word = { (c: UInt8) in c.isASCIIAlphanumeric || c == UInt8(ascii: "_") }
        return word(first) && tag.utf8.allSatisfy { word($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }
    }

    /// Components of [a-z0-9]+ joined by one of ".", "_", "__" or a run of "-".
    static func isValidPath(_ path: String) -> Bool {
        let components = path.split(separator: "/", omittingEmptySubsequences: false)
        return components.allSatisfy { component in
            let bytes = Array(component.utf8)
            guard let first = bytes.first, let last = bytes.last,
                first.isLowerAlphanumeric, last.isLowerAlphanumeric
            else { return false }
            var index = 0
            while index < bytes.count {
                if bytes[index].isLowerAlphanumeric {
                    index += 1
                    continue
                }
                var end = index
                while end < bytes.count && !bytes[end].isLowerAlphanumeric { end += 1 }
                let separator = String(decoding: bytes[index..<end], as: UTF8.self)
                guard separator == "." || separator == "_" || separator == "__" || separator.allSatisfy({ $0 == "-" })
                else { return false }
                index = end
            }
            return true
        }
    }
}

extension UInt8 {
    var isLowerAlphanumeric: Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(self) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self)
    }
    var isASCIIAlphanumeric: Bool {
        isLowerAlphanumeric || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(self)
    }
}
