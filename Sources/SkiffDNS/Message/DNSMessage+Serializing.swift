extension DNSMessage {
    /// The wire form, names compressed. With `maxSize` (a UDP response), records that do not
    /// fit are left out: first the additional section (keeping OPT), then authority, then
    /// answers from the end, in which case TC is set so the client retries over TCP (RFC 2181 §9).
    public func serialized(maxSize: Int = 65_535) -> [UInt8] {
        var writer = DNSMessageWriter()
        writer.bytes.reserveCapacity(min(maxSize, 512))
        writer.writeUInt16(id)
        writer.writeUInt16(flags(truncated: isTruncated))
        writer.writeUInt16(UInt16(questions.count))
        for _ in 0..<3 { writer.writeUInt16(0) }
        for question in questions {
            writer.writeName(question.name)
            writer.writeUInt16(question.type.rawValue)
            writer.writeUInt16(question.questionClass)
        }
        let opt = additional.filter { $0.type == .opt }
        let reserved = opt.reduce(0) { $0 + 11 + $1.data.opaqueCount }
        let limit = maxSize - reserved
        var truncated = false
        var counts = [0, 0, 0]
        for (section, records) in [answers, authority, additional.filter { $0.type != .opt }].enumerated() where !truncated {
            for record in records {
                let mark = writer.mark()
                writer.writeRecord(record)
                if writer.bytes.count > limit {
                    writer.rollBack(to: mark)
                    // Additional records are optional: dropping them does not need TC.
                    truncated = section < 2
                    break
                }
                counts[section] += 1
            }
        }
        for record in opt { writer.writeRecord(record) }
        writer.setUInt16(UInt16(counts[0]), at: 6)
        writer.setUInt16(UInt16(counts[1]), at: 8)
        writer.setUInt16(UInt16(counts[2] + opt.count), at: 10)
        if truncated { writer.setUInt16(flags(truncated: true), at: 2) }
        return writer.bytes
    }

    private func flags(truncated: Bool) -> UInt16 {
        var flags = UInt16(opcode & 0x0F) << 11 | UInt16(responseCode.rawValue & 0x0F)
        if isResponse { flags |= 0x8000 }
        if isAuthoritative { flags |= 0x0400 }
        if truncated { flags |= 0x0200 }
        if recursionDesired { flags |= 0x0100 }
        if recursionAvailable { flags |= 0x0080 }
        if authenticData { flags |= 0x0020 }
        if checkingDisabled { flags |= 0x0010 }
        return flags
    }
}

extension DNSRecordData {
    fileprivate var opaqueCount: Int {
        if case .opaque(let bytes) = self { return bytes.count }
        return 0
    }
}

/// Builds a message; remembers where each written name suffix starts so later names point to
/// it (RFC 1035 §4.1.4). Only names in the header area below 0x4000 can be pointed to.
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
