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

/// Decoded RDATA.
public enum DNSRecordData: Hashable, Sendable {
    case address(IPAddress)
    /// CNAME, NS and PTR: a single name.
    case name(DNSName)
    case mx(preference: UInt16, exchange: DNSName)
    case srv(DNSServiceRecord)
    case soa(DNSStartOfAuthority)
    /// TXT: its character strings.
    case text([[UInt8]])
    case opaque([UInt8])
}

/// SRV RDATA (RFC 2782).
public struct DNSServiceRecord: Hashable, Sendable {
    public var priority: UInt16
    public var weight: UInt16
    public var port: UInt16
    public var target: DNSName

    public init(priority: UInt16, weight: UInt16, port: UInt16, target: DNSName) {
        self.priority = priority
        self.weight = weight
        self.port = port
        self.target = target
    }
}

/// SOA RDATA; `minimum` is the negative-caching TTL (RFC 2308).
public struct DNSStartOfAuthority: Hashable, Sendable {
    public var primary: DNSName
    public var mailbox: DNSName
    public var serial: UInt32
    public var refresh: UInt32
    public var retry: UInt32
    public var expire: UInt32
    public var minimum: UInt32

    public init(primary: DNSName, mailbox: DNSName, serial: UInt32, refresh: UInt32, retry: UInt32, expire: UInt32, minimum: UInt32) {
        self.primary = primary
        self.mailbox = mailbox
        self.serial = serial
        self.refresh = refresh
        self.retry = retry
        self.expire = expire
        self.minimum = minimum
    }
}
