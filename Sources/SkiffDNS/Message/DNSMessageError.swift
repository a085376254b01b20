/// Why a message could not be read or a name could not be built. The server answers FORMERR
/// when it could at least read the header, and drops the datagram otherwise.
public enum DNSMessageError: Error, Equatable, Sendable {
    /// The message ended before the field being read (its name in the payload).
    case truncated(String)
    case labelTooLong(Int)
    case nameTooLong
    /// A compression pointer that does not point strictly backwards (a loop or a forward jump).
    case badPointer(Int)
    /// A label type other than a length or a pointer (RFC 6891 retired the extended types).
    case badLabelType(UInt8)
    /// RDATA whose length does not fit its type (an A record of 5 bytes).
    case badRecordData(DNSRecordType)
    /// Bytes after the last record the counts announce.
    case trailingBytes(Int)
}
