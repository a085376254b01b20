/// A time zone's UTC offsets over time, read from a TZif file (RFC 8536, what
/// /usr/share/zoneinfo holds): the transition table, and past its end the POSIX TZ rule in the
/// file's footer (e.g. `CET-1CEST,M3.5.0,M10.5.0/3`). Foundation-free; `ZoneRules.load(named:)`
/// reads the system's database.
public struct ZoneRules: Sendable, Hashable {
    /// Transition instants (seconds since the epoch), ascending, and the offset from each on.
    let transitions: [Int64]
    let offsets: [Int32]
    /// The offset before the first transition (the file's first local time type).
    let initialOffset: Int32
    let rule: PosixZoneRule?

    public static let utc = ZoneRules(fixedOffset: 0)

    public init(fixedOffset seconds: Int32) {
        transitions = []
        offsets = []
        initialOffset = seconds
        rule = nil
    }

    /// Parses a TZif file of any version (the 64-bit block of version 2+ when present).
    public init(tzif bytes: [UInt8]) throws(ZoneRulesError) {
        var reader = TZifReader(bytes: bytes)
        var header = try reader.header()
        var timeSize = 4
        if header.version >= 2 {
            // Skip the version 1 block; the 64-bit one follows with its own header.
            try reader.skip(header.dataSize(timeSize: 4))
            header = try reader.header()
            timeSize = 8
        }
        var times: [Int64] = []
        for _ in 0..<header.timeCount { times.append(try reader.signed(timeSize)) }
        var indices: [Int] = []
        for _ in 0..<header.timeCount { indices.append(Int(try reader.byte())) }
        var types: [Int32] = []
        for _ in 0..<header.typeCount {
            types.append(Int32(truncatingIfNeeded: try reader.signed(4)))
            try reader.skip(2)
        }
        guard !types.isEmpty, indices.allSatisfy({ $0 < types.count }) else { throw ZoneRulesError("TZif: bad local time type index") }
        try reader.skip(header.characterCount + header.leapCount * (timeSize + 4) + header.standardCount + header.utcCount)
        transitions = times
        offsets = indices.map { types[$0] }
        initialOffset = types[0]
        var footer: PosixZoneRule?
        if header.version >= 2, let text = reader.footer() { footer = PosixZoneRule(parsing: text) }
        rule = footer
    }

    /// Seconds to add to UTC for wall-clock time at `instant`.
    public func offset(at instant: Int64) -> Int32 {
        if let last = transitions.last, instant >= last, let rule { return rule.offset(at: instant) }
        if transitions.isEmpty { return rule?.offset(at: instant) ?? initialOffset }
        guard instant >= transitions[0] else { return initialOffset }
        // The last transition at or before `instant`.
        var low = 0
        var high = transitions.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if transitions[middle] <= instant { low = middle } else { high = middle - 1 }
        }
        return offsets[low]
    }
}

/// Why a TZif file or zone name was not usable.
public struct ZoneRulesError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Big-endian reads over a TZif file's bytes.
struct TZifReader {
    struct Header {
        let version: Int
        let utcCount: Int
        let standardCount: Int
        let leapCount: Int
        let timeCount: Int
        let typeCount: Int
        let characterCount: Int

        func dataSize(timeSize: Int) -> Int {
            timeCount * (timeSize + 1) + typeCount * 6 + characterCount + leapCount * (timeSize + 4) + standardCount + utcCount
        }
    }

    let bytes: [UInt8]
    var position = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    mutating func header() throws(ZoneRulesError) -> Header {
        guard position + 44 <= bytes.count, Array(bytes[position..<position + 4]) == Array("TZif".utf8) else {
            throw ZoneRulesError("not a TZif file")
        }
        let versionByte = bytes[position + 4]
        position += 20
        var counts: [Int] = []
        for _ in 0..<6 { counts.append(Int(try signed(4))) }
        guard counts.allSatisfy({ $0 >= 0 }) else { throw ZoneRulesError("TZif: negative count") }
        let version = versionByte == 0 ? 1 : Int(versionByte) - Int(UInt8(ascii: "0"))
        return Header(
            version: version, utcCount: counts[0], standardCount: counts[1], leapCount: counts[2], timeCount: counts[3], typeCount: counts[4],
            characterCount: counts[5])
    }

    mutating func signed(_ size: Int) throws(ZoneRulesError) -> Int64 {
        guard position + size <= bytes.count else { throw ZoneRulesError("TZif: truncated") }
        var value: UInt64 = 0
        for byte in bytes[position..<position + size] { value = value << 8 | UInt64(byte) }
        position += size
        // Sign-extend from `size` bytes.
        let shift = UInt64(64 - size * 8)
        return Int64(bitPattern: value << shift) >> shift
    }

    mutating func byte() throws(ZoneRulesError) -> UInt8 {
        guard position < bytes.count else { throw ZoneRulesError("TZif: truncated") }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func skip(_ count: Int) throws(ZoneRulesError) {
        guard count >= 0, position + count <= bytes.count else { throw ZoneRulesError("TZif: truncated") }
        position += count
    }

    /// The `\nTZ string\n` after the version 2+ data.
    func footer() -> String? {
        guard position < bytes.count, bytes[position] == UInt8(ascii: "\n") else { return nil }
        let rest = bytes[(position + 1)...]
        guard let end = rest.firstIndex(of: UInt8(ascii: "\n")) else { return nil }
        return String(decoding: rest[rest.startIndex..<end], as: UTF8.self)
    }
}
