extension DNSMessage {
    /// The fixed header's size; anything shorter is not a DNS message.
    public static let headerSize = 12

    /// Parses a whole message; every read is bounds-checked and throws on hostile input
    /// (truncation, pointer loops, oversized labels or names, bytes left over).
    public init(parsing bytes: [UInt8]) throws(DNSMessageError) {
        var reader = DNSMessageReader(bytes)
        let header = try DNSMessage.readHeader(&reader)
        self = header.message
        questions.reserveCapacity(min(header.counts[0], 4))
        for _ in 0..<header.counts[0] {
            let name = try reader.readName()
            let type = DNSRecordType(rawValue: try reader.readUInt16("question type"))
            questions.append(DNSQuestion(name: name, type: type, questionClass: try reader.readUInt16("question class")))
        }
        for _ in 0..<header.counts[1] { answers.append(try reader.readRecord()) }
        for _ in 0..<header.counts[2] { authority.append(try reader.readRecord()) }
        for _ in 0..<header.counts[3] { additional.append(try reader.readRecord()) }
        guard reader.offset == bytes.count else { throw .trailingBytes(bytes.count - reader.offset) }
    }

    /// Reads only the header (ID and flags), for answering FORMERR to a message whose body is
    /// garbage. Nil when fewer than 12 bytes arrived.
    public static func header(of bytes: [UInt8]) -> DNSMessage? {
        var reader = DNSMessageReader(bytes)
        return try? readHeader(&reader).message
    }

    private static func readHeader(_ reader: inout DNSMessageReader) throws(DNSMessageError) -> (message: DNSMessage, counts: [Int]) {
        let id = try reader.readUInt16("id")
        let flags = try reader.readUInt16("flags")
        var counts: [Int] = []
        for section in ["qdcount", "ancount", "nscount", "arcount"] { counts.append(Int(try reader.readUInt16(section))) }
        let message = DNSMessage(
            id: id, isResponse: flags & 0x8000 != 0, opcode: UInt8((flags >> 11) & 0x0F), isAuthoritative: flags & 0x0400 != 0,
            isTruncated: flags & 0x0200 != 0, recursionDesired: flags & 0x0100 != 0, recursionAvailable: flags & 0x0080 != 0,
            authenticData: flags & 0x0020 != 0, checkingDisabled: flags & 0x0010 != 0, responseCode: DNSResponseCode(rawValue: UInt8(flags & 0x0F)))
        return (message, counts)
    }
}
