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
