/// A DNS message (RFC 1035 §4): the header's fields, one list per section. Parse it with
/// `init(parsing:)`, write it with `serialized(maxSize:)`.
public struct DNSMessage: Hashable, Sendable {
    public var id: UInt16
    public var isResponse: Bool
    public var opcode: UInt8
    public var isAuthoritative: Bool
    public var isTruncated: Bool
    public var recursionDesired: Bool
    public var recursionAvailable: Bool
    public var authenticData: Bool
    public var checkingDisabled: Bool
    public var responseCode: DNSResponseCode
    public var questions: [DNSQuestion]
    public var answers: [DNSResourceRecord]
    public var authority: [DNSResourceRecord]
    /// The additional section, OPT included.
    public var additional: [DNSResourceRecord]

    public init(
        id: UInt16, isResponse: Bool = false, opcode: UInt8 = 0, isAuthoritative: Bool = false, isTruncated: Bool = false,
        recursionDesired: Bool = true, recursionAvailable: Bool = false, authenticData: Bool = false, checkingDisabled: Bool = false,
        responseCode: DNSResponseCode = .noError, questions: [DNSQuestion] = [], answers: [DNSResourceRecord] = [],
        authority: [DNSResourceRecord] = [], additional: [DNSResourceRecord] = []
    ) {
        self.id = id
        self.isResponse = isResponse
        self.opcode = opcode
        self.isAuthoritative = isAuthoritative
        self.isTruncated = isTruncated
        self.recursionDesired = recursionDesired
        self.recursionAvailable = recursionAvailable
        self.authenticData = authenticData
        self.checkingDisabled = checkingDisabled
        self.responseCode = responseCode
        self.questions = questions
        self.answers = answers
        self.authority = authority
        self.additional = additional
    }

    /// The requester's EDNS0 record, if it sent one.
    public var ednsRecord: DNSResourceRecord? { additional.first { $0.type == .opt } }

    /// The largest UDP answer the requester accepts: 512 bytes without EDNS0 (RFC 1035), its
    /// advertised size with it (never below 512).
    public var maxUDPResponseSize: Int {
        guard let edns = ednsRecord else { return 512 }
        return max(512, Int(edns.recordClass))
    }

    /// A response skeleton for this query: same ID, opcode, RD and CD, the question echoed.
    public func response(code: DNSResponseCode = .noError) -> DNSMessage {
        DNSMessage(
            id: id, isResponse: true, opcode: opcode, recursionDesired: recursionDesired, recursionAvailable: true,
            checkingDisabled: checkingDisabled, responseCode: code, questions: questions)
    }
}
