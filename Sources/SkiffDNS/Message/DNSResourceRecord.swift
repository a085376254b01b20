/// One resource record. `data` holds the RDATA decoded for the types whose names may be
/// compressed (so they can be written into another message) and opaque bytes for the rest.
public struct DNSResourceRecord: Hashable, Sendable {
    public var name: DNSName
    public var type: DNSRecordType
    /// The class; for OPT the requester's UDP payload size (RFC 6891 §6.1.2).
    public var recordClass: UInt16
    /// The TTL; for OPT the extended RCODE, version and flags.
    public var ttl: UInt32
    public var data: DNSRecordData

    public init(name: DNSName, type: DNSRecordType, recordClass: UInt16 = DNSClass.internet, ttl: UInt32, data: DNSRecordData) {
        self.name = name
        self.type = type
        self.recordClass = recordClass
        self.ttl = ttl
        self.data = data
    }

    public static func a(_ name: DNSName, _ address: IPAddress, ttl: UInt32) -> DNSResourceRecord {
        DNSResourceRecord(name: name, type: address.isIPv4 ? .a : .aaaa, ttl: ttl, data: .address(address))
    }

    /// The EDNS0 pseudo-record advertising `payloadSize` (RFC 6891).
    public static func opt(payloadSize: UInt16, dnssecOK: Bool = false) -> DNSResourceRecord {
        DNSResourceRecord(name: .root, type: .opt, recordClass: payloadSize, ttl: dnssecOK ? 0x8000 : 0, data: .opaque([]))
    }
}
