/// Name rules from Kubernetes' validation (DNS-1123 subdomains and labels).
public enum ObjectNames {
    /// Most objects: at most 253 characters of lowercase alphanumerics, '-' and '.', starting and
    /// ending alphanumeric. Returns a problem description or nil.
    public static func subdomainProblem(_ name: String) -> String? {
        guard !name.isEmpty else { return "name must not be empty" }
        guard name.utf8.count <= 253 else { return "must be no more than 253 characters" }
        return dnsProblem(name, allowDots: true)
    }

    /// Namespaces and Services: at most 63 characters, no dots.
    public static func labelProblem(_ name: String) -> String? {
        guard !name.isEmpty else { return "name must not be empty" }
        guard name.utf8.count <= 63 else { return "must be no more than 63 characters" }
        return dnsProblem(name, allowDots: false)
    }

    static func dnsProblem(_ name: String, allowDots: Bool) -> String? {
        func isAlphanumeric(_ byte: UInt8) -> Bool {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
        }
        let bytes = Array(name.utf8)
        let valid = bytes.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: "-") || (allowDots && $0 == UInt8(ascii: ".")) }
        guard valid, let first = bytes.first, let last = bytes.last, isAlphanumeric(first), isAlphanumeric(last) else {
            let allowed = allowDots ? "lowercase alphanumeric characters, '-' or '.'" : "lowercase alphanumeric characters or '-'"
            return "a lowercase RFC 1123 \(allowDots ? "subdomain" : "label") must consist of \(allowed), and must start and end with an alphanumeric character"
        }
        return nil
    }

    /// Label keys (`prefix/name`) and values, as `kubectl label` sets them.
    public static func labelValueProblem(_ value: String) -> String? {
        guard value.utf8.count <= 63 else { return "must be no more than 63 characters" }
        guard value.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) else {
            return "a valid label must consist of alphanumeric characters, '-', '_' or '.'"
        }
        return nil
    }

    public static func labelKeyProblem(_ key: String) -> String? {
        let parts = key.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let name = parts.last, !name.isEmpty, name.utf8.count <= 63 else {
            return "name part must be non-empty and no more than 63 characters"
        }
        if parts.count == 2, let problem = subdomainProblem(String(parts[0])) { return "prefix part \(problem)" }
        guard name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) else {
            return "name part must consist of alphanumeric characters, '-', '_' or '.'"
        }
        return nil
    }

    /// The alphabet of generated names: consonants and digits that cannot spell words (or look
    /// like one another: no vowels, no 0/1/3).
    public static let safeAlphabet = Array("bcdfghjklmnpqrstvwxz2456789".utf8)

    /// `text` with each byte mapped into `safeAlphabet`, as generated names and template hashes
    /// are spelled.
    public static func safeEncode(_ text: String) -> String {
        String(decoding: text.utf8.map { safeAlphabet[Int($0) % safeAlphabet.count] }, as: UTF8.self)
    }
}
