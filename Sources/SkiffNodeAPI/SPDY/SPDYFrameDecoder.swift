/// Cuts SPDY/3 frames out of a byte stream that arrives in arbitrary pieces (kubectl's
/// websocket tunnel splits and joins frames freely), decompressing header blocks in order.
struct SPDYFrameDecoder: ~Copyable {
    private var buffer: [UInt8] = []
    private var start = 0
    private let inflater = SPDYHeaderInflater()

    mutating func append(_ bytes: some Sequence<UInt8>) {
        if start > 0 && start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next complete frame, or nil until more bytes arrive.
    mutating func next() throws(SPDYError) -> SPDYFrame? {
        guard buffer.count - start >= 8 else { return nil }
        let length = Int(buffer[start + 5]) << 16 | Int(buffer[start + 6]) << 8 | Int(buffer[start + 7])
        guard buffer.count - start >= 8 + length else { return nil }
        let header = Array(buffer[start..<start + 8])
        let payload = Array(buffer[start + 8..<start + 8 + length])
        start += 8 + length
        if start > 64 * 1024 {
            buffer.removeFirst(start)
            start = 0
        }
        let flags = header[4]
        let fin = flags & SPDYFrame.flagFin != 0
        guard header[0] & 0x80 != 0 else {
            return .data(id: Self.uint31(header, 0), bytes: payload, fin: fin)
        }
        let version = UInt16(header[0] & 0x7f) << 8 | UInt16(header[1])
        guard version == SPDYFrame.version else { throw .malformed("SPDY version \(version), expected \(SPDYFrame.version)") }
        let type = UInt16(header[2]) << 8 | UInt16(header[3])
        switch type {
        case SPDYFrame.ControlType.synStream:
            guard payload.count >= 10 else { throw .malformed("SYN_STREAM of \(payload.count) bytes") }
            let headers = try Self.headerBlock(inflater.inflate(Array(payload[10...])))
            return .synStream(id: Self.uint31(payload, 0), headers: headers, fin: fin)
        case SPDYFrame.ControlType.synReply:
            guard payload.count >= 4 else { throw .malformed("SYN_REPLY of \(payload.count) bytes") }
            let headers = try Self.headerBlock(inflater.inflate(Array(payload[4...])))
            return .synReply(id: Self.uint31(payload, 0), headers: headers, fin: fin)
        case SPDYFrame.ControlType.rstStream:
            guard payload.count >= 8 else { throw .malformed("RST_STREAM of \(payload.count) bytes") }
            return .rstStream(id: Self.uint31(payload, 0), status: Self.uint32(payload, 4))
        case SPDYFrame.ControlType.ping:
            guard payload.count >= 4 else { throw .malformed("PING of \(payload.count) bytes") }
            return .ping(id: Self.uint32(payload, 0))
        case SPDYFrame.ControlType.goAway:
            guard payload.count >= 4 else { throw .malformed("GOAWAY of \(payload.count) bytes") }
            return .goAway(lastStream: Self.uint31(payload, 0))
        default:
            return .ignored(type: type)
        }
    }

    /// A decompressed name/value block: a count, then length-prefixed names and values
    /// (several values of one name are NUL-separated; the first is kept).
    static func headerBlock(_ bytes: [UInt8]) throws(SPDYError) -> [String: String] {
        var offset = 0
        func field() throws(SPDYError) -> [UInt8] {
            guard bytes.count - offset >= 4 else { throw .malformed("truncated header block") }
            let length = Int(uint32(bytes, offset))
            offset += 4
            guard bytes.count - offset >= length else { throw .malformed("truncated header block") }
            defer { offset += length }
            return Array(bytes[offset..<offset + length])
        }
        guard bytes.count >= 4 else { throw .malformed("empty header block") }
        let count = uint32(bytes, 0)
        offset = 4
        var headers: [String: String] = [:]
        for _ in 0..<count {
            let name = String(decoding: try field(), as: UTF8.self).lowercased()
            let value = try field().split(separator: 0, omittingEmptySubsequences: false).first.map { String(decoding: $0, as: UTF8.self) } ?? ""
            headers[name] = value
        }
        return headers
    }

    static func uint32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
    }

    static func uint31(_ bytes: [UInt8], _ offset: Int) -> UInt32 { uint32(bytes, offset) & 0x7fff_ffff }
}
