/// One entry of the question section.
public struct DNSQuestion: Hashable, Sendable {
    public var name: DNSName
    public var type: DNSRecordType
    public var questionClass: UInt16

    public init(name: DNSName, type: DNSRecordType, questionClass: UInt16 = DNSClass.internet) {
        self.name = name
        self.type = type
        self.questionClass = questionClass
    }
}
