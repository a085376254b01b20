/// Builds a message; remembers where each written name suffix starts so later names point to
/// it (RFC 1035 §4.1.4). A pointer has 14 bits, so only names in the first 16 KiB are targets.
struct DNSMessageWriter {
    var bytes: [UInt8] = []
    /// Lowercased suffix text → its offset.
    private var suffixes: [String: Int] = [:]
    private var suffixOrder: [String] = []

    struct Mark {
        let size: Int
        let suffixCount: Int
    }

    func mark() -> Mark { Mark(size: bytes.count, suffixCount: suffixOrder.count) }

    /// Forgets what was written after `mark`, including the name offsets that pointed there.
    mutating func rollBack(to mark: Mark) {
        bytes.removeSubrange(mark.size...)
        for key in suffixOrder[mark.suffixCount...] { suffixes[key] = nil }
        suffixOrder.removeSubrange(mark.suffixCount...)
    }

    mutating func writeUInt16(_ value: UInt16) {
        bytes.append(UInt8(value >> 8))
        bytes.append(UInt8(value & 0xFF))
    }

    mutating func writeUInt32(_ value: UInt32) {
        writeUInt16(UInt16(value >> 16))
        writeUInt16(UInt16(value & 0xFFFF))
    }

    mutating func setUInt16(_ value: UInt16, at offset: Int) {
        bytes[offset] = UInt8(value >> 8)
        bytes[offset + 1] = UInt8(value & 0xFF)
    }

    mutating func writeName(_ name: DNSName, compress: Bool = true) {
        let labels = name.labels
        for index in labels.indices {
            let key = DNSName.key(of: labels[index...])
            if compress, let target = suffixes[key] {
                writeUInt16(0xC000 | UInt16(target))
                return
            }
            if compress, bytes.count < 0x4000 {
                suffixes[key] = bytes.count
                suffixOrder.append(key)
            }
            bytes.append(UInt8(labels[index].count))
            bytes += labels[index]
        }
        bytes.append(0)
    }

    mutating func writeRecord(_ record: DNSResourceRecord) {
        writeName(record.name)
        writeUInt16(record.type.rawValue)
        writeUInt16(record.recordClass)
        writeUInt32(record.ttl)
        let lengthOffset = bytes.count
        writeUInt16(0)
        switch record.data {
        case .address(let address): bytes += address.bytes
        case .name(let name): writeName(name)
        case .mx(let preference, let exchange):
            writeUInt16(preference)
            writeName(exchange)
        case .srv(let srv):
            writeUInt16(srv.priority)
            writeUInt16(srv.weight)
            writeUInt16(srv.port)
            // RFC 2782: the target is never compressed.
            writeName(srv.target, compress: false)
        case .soa(let soa):
            writeName(soa.primary)
            writeName(soa.mailbox)
            for value in [soa.serial, soa.refresh, soa.retry, soa.expire, soa.minimum] { writeUInt32(value) }
        case .text(let strings):
            for string in strings {
                bytes.append(UInt8(min(string.count, 255)))
                bytes += string.prefix(255)
            }
        case .opaque(let data): bytes += data
        }
        setUInt16(UInt16(bytes.count - lengthOffset - 2), at: lengthOffset)
    }
}
