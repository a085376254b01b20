/// Serializes SPDY/3 frames, compressing header blocks with this direction's one zlib stream:
/// frames must be sent in the order they were encoded.
struct SPDYFrameEncoder: ~Copyable {
    private let deflater = SPDYHeaderDeflater()

    mutating func encode(_ frame: SPDYFrame) -> [UInt8] {
        switch frame {
        case .synStream(let id, let headers, let fin):
            // Associated-to stream 0, priority 0, slot 0.
            let payload = Self.uint32(id) + [0, 0, 0, 0, 0, 0] + deflater.deflate(Self.headerBlock(headers))
            return Self.control(SPDYFrame.ControlType.synStream, flags: fin ? SPDYFrame.flagFin : 0, payload)
        case .synReply(let id, let headers, let fin):
            let payload = Self.uint32(id) + deflater.deflate(Self.headerBlock(headers))
            return Self.control(SPDYFrame.ControlType.synReply, flags: fin ? SPDYFrame.flagFin : 0, payload)
        case .rstStream(let id, let status):
            return Self.control(SPDYFrame.ControlType.rstStream, flags: 0, Self.uint32(id) + Self.uint32(status))
        case .ping(let id):
            return Self.control(SPDYFrame.ControlType.ping, flags: 0, Self.uint32(id))
        case .goAway(let lastStream):
            return Self.control(SPDYFrame.ControlType.goAway, flags: 0, Self.uint32(lastStream) + Self.uint32(0))
        case .data(let id, let bytes, let fin):
            return Self.uint32(id & 0x7fff_ffff) + [fin ? SPDYFrame.flagFin : 0] + Self.uint24(bytes.count) + bytes
        case .ignored:
            return []
        }
    }

    static func control(_ type: UInt16, flags: UInt8, _ payload: [UInt8]) -> [UInt8] {
        [0x80 | UInt8(SPDYFrame.version >> 8), UInt8(SPDYFrame.version & 0xff), UInt8(type >> 8), UInt8(type & 0xff), flags]
            + uint24(payload.count) + payload
    }

    static func headerBlock(_ headers: [String: String]) -> [UInt8] {
        var block = uint32(UInt32(headers.count))
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) {
            block += uint32(UInt32(name.utf8.count)) + Array(name.lowercased().utf8)
            block += uint32(UInt32(value.utf8.count)) + Array(value.utf8)
        }
        return block
    }

    static func uint32(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8((value >> 16) & 0xff), UInt8((value >> 8) & 0xff), UInt8(value & 0xff)]
    }

    static func uint24(_ value: Int) -> [UInt8] {
        [UInt8((value >> 16) & 0xff), UInt8((value >> 8) & 0xff), UInt8(value & 0xff)]
    }
}
