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
