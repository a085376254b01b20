/// A domain name as its wire labels (bytes, case preserved). Comparisons in the cluster zone go
/// through `key`, the lowercased dotted text, because DNS names are case-insensitive (RFC 4343)
/// while an answer must echo the question's spelling.
public struct DNSName: Hashable, Sendable, CustomStringConvertible {
    public static let maxLabelLength = 63
    /// Wire length including every length byte and the root's zero byte (RFC 1035 §3.1).
    public static let maxWireLength = 255
    public static let root = DNSName(validatedLabels: [])

    public private(set) var labels: [[UInt8]]

    init(validatedLabels: [[UInt8]]) {
        self.labels = validatedLabels
    }

    /// Parses dotted text ("my-svc.default.svc.cluster.local", a trailing dot optional).
    public init(_ text: String) throws(DNSMessageError) {
        var labels: [[UInt8]] = []
        var wireLength = 1
        for part in text.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false) {
            if part.isEmpty { continue }
            guard part.count <= DNSName.maxLabelLength else { throw .labelTooLong(part.count) }
            wireLength += part.count + 1
            labels.append(Array(part))
        }
        guard wireLength <= DNSName.maxWireLength else { throw .nameTooLong }
        self.labels = labels
    }

    /// Length on the wire without compression.
    public var wireLength: Int { labels.reduce(1) { $0 + $1.count + 1 } }

    /// Dotted text without the trailing dot; bytes outside printable ASCII, and dots inside a
    /// label, are written as `\DDD` the way dig shows them.
    public var description: String {
        var text = ""
        for (index, label) in labels.enumerated() {
            if index > 0 { text += "." }
            for byte in label {
                if byte > 0x20, byte < 0x7F, byte != UInt8(ascii: "."), byte != UInt8(ascii: "\\") {
                    text.unicodeScalars.append(Unicode.Scalar(byte))
                } else {
                    let digits = String(byte)
                    text += "\\" + String(repeating: "0", count: 3 - digits.count) + digits
                }
            }
        }
        return text
    }

    /// The lowercased dotted text: the cluster zone's lookup key.
    public var key: String { DNSName.key(of: labels[...]) }

    static func key(of labels: ArraySlice<[UInt8]>) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(labels.reduce(0) { $0 + $1.count + 1 })
        for label in labels {
            if !bytes.isEmpty { bytes.append(UInt8(ascii: ".")) }
            for byte in label { bytes.append(byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte) }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// True when this name equals `zone` or lies under it, ignoring case.
    public func isSubdomain(of zone: DNSName) -> Bool {
        guard zone.labels.count <= labels.count else { return false }
        let offset = labels.count - zone.labels.count
        for (index, label) in zone.labels.enumerated() where !DNSName.equalIgnoringCase(labels[offset + index], label) {
            return false
        }
        return true
    }

    /// The labels in front of `zone` (which this name must lie under), lowercased.
    func lowercasedLabels(before zone: DNSName) -> [String] {
        labels[0..<(labels.count - zone.labels.count)].map { DNSName.key(of: [$0][...]) }
    }

    /// This name with `prefix` labels put in front.
    public func prepending(_ prefix: [UInt8]) -> DNSName {
        DNSName(validatedLabels: [prefix] + labels)
    }

    static func equalIgnoringCase(_ left: [UInt8], _ right: [UInt8]) -> Bool {
        guard left.count == right.count else { return false }
        for index in left.indices {
            let l = left[index]
            let r = right[index]
            if l != r, (l | 0x20) != (r | 0x20) || !((l | 0x20) >= 0x61 && (l | 0x20) <= 0x7A) { return false }
        }
        return true
    }
}
