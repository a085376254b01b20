/// A cursor over a received message. Names are read with pointer chasing bounded by the rule
/// that a pointer must go strictly backwards, which also makes loops impossible.
struct DNSMessageReader {
    let bytes: [UInt8]
    private(set) var offset = 0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    mutating func readUInt8(_ field: String) throws(DNSMessageError) -> UInt8 {
        guard offset < bytes.count else { throw .truncated(field) }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func readUInt16(_ field: String) throws(DNSMessageError) -> UInt16 {
        guard offset + 2 <= bytes.count else { throw .truncated(field) }
        defer { offset += 2 }
        return UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }

    mutating func readUInt32(_ field: String) throws(DNSMessageError) -> UInt32 {
        UInt32(try readUInt16(field)) << 16 | UInt32(try readUInt16(field))
    }

    mutating func readBytes(_ count: Int, _ field: String) throws(DNSMessageError) -> [UInt8] {
        guard count >= 0, offset + count <= bytes.count else { throw .truncated(field) }
        defer { offset += count }
        return Array(bytes[offset..<(offset + count)])
    }

    mutating func readName() throws(DNSMessageError) -> DNSName {
        var labels: [[UInt8]] = []
        var wireLength = 1
        var position = offset
        // Where the cursor continues: after the first pointer, or after the terminating zero.
        var resumeAt: Int?
        // A pointer must land before the lowest position read so far.
        var lowest = offset
        while true {
            guard position < bytes.count else { throw .truncated("name") }
            let length = bytes[position]
            switch length & 0xC0 {
            case 0x00:
                if length == 0 {
                    offset = resumeAt ?? position + 1
                    return DNSName(validatedLabels: labels)
                }
                guard position + 1 + Int(length) <= bytes.count else { throw .truncated("label") }
                wireLength += Int(length) + 1
                guard wireLength <= DNSName.maxWireLength else { throw .nameTooLong }
                labels.append(Array(bytes[(position + 1)..<(position + 1 + Int(length))]))
                position += 1 + Int(length)
            case 0xC0:
                guard position + 1 < bytes.count else { throw .truncated("pointer") }
                let target = Int(length & 0x3F) << 8 | Int(bytes[position + 1])
                guard target < lowest else { throw .badPointer(target) }
                if resumeAt == nil { resumeAt = position + 2 }
                lowest = target
                position = target
            default:
                throw .badLabelType(length)
            }
        }
    }

    mutating func readRecord() throws(DNSMessageError) -> DNSResourceRecord {
        let name = try readName()
        let type = DNSRecordType(rawValue: try readUInt16("record type"))
        let recordClass = try readUInt16("record class")
        let ttl = try readUInt32("ttl")
        let length = Int(try readUInt16("rdlength"))
        guard offset + length <= bytes.count else { throw .truncated("rdata") }
        let end = offset + length
        let data: DNSRecordData
        switch type {
        case .a, .aaaa:
            guard length == (type == .a ? 4 : 16), let address = IPAddress(bytes: try readBytes(length, "address")) else {
                throw .badRecordData(type)
            }
            data = .address(address)
        case .cname, .ns, .ptr:
            data = .name(try readName())
        case .mx:
            data = .mx(preference: try readUInt16("mx preference"), exchange: try readName())
        case .srv:
            data = .srv(
                DNSServiceRecord(
                    priority: try readUInt16("srv priority"), weight: try readUInt16("srv weight"), port: try readUInt16("srv port"),
                    target: try readName()))
        case .soa:
            data = .soa(
                DNSStartOfAuthority(
                    primary: try readName(), mailbox: try readName(), serial: try readUInt32("soa serial"), refresh: try readUInt32("soa refresh"),
                    retry: try readUInt32("soa retry"), expire: try readUInt32("soa expire"), minimum: try readUInt32("soa minimum")))
        case .txt:
            var strings: [[UInt8]] = []
            while offset < end {
                let count = Int(try readUInt8("txt length"))
                guard offset + count <= end else { throw .badRecordData(type) }
                strings.append(try readBytes(count, "txt"))
            }
            data = .text(strings)
        default:
            data = .opaque(try readBytes(length, "rdata"))
        }
        // A name inside RDATA that runs past RDLENGTH is malformed.
        guard offset == end else { throw .badRecordData(type) }
        return DNSResourceRecord(name: name, type: type, recordClass: recordClass, ttl: ttl, data: data)
    }
}
