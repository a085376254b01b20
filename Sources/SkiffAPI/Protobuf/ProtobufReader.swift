/// Reads the protobuf wire format: enough to decode the few Kubernetes messages that kubectl's
/// typed clients send as `application/vnd.kubernetes.protobuf`.
public struct ProtobufReader {
    public enum Value {
        case varint(UInt64)
        case bytes(ArraySlice<UInt8>)
        case fixed64(UInt64)
        case fixed32(UInt32)
    }

    let bytes: ArraySlice<UInt8>
    var index: Int

    public init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        index = bytes.startIndex
    }

    mutating func varint() throws(PatchError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard index < bytes.endIndex, shift < 64 else { throw PatchError("truncated protobuf varint") }
            let byte = bytes[index]
            index += 1
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
    }

    /// The next (field number, value), or nil at the end.
    public mutating func next() throws(PatchError) -> (Int, Value)? {
        guard index < bytes.endIndex else { return nil }
        let key = try varint()
        let field = Int(key >> 3)
        switch key & 7 {
        case 0: return (field, .varint(try varint()))
        case 1:
            guard index + 8 <= bytes.endIndex else { throw PatchError("truncated protobuf fixed64") }
            var value: UInt64 = 0
            for offset in 0..<8 { value |= UInt64(bytes[index + offset]) << (8 * UInt64(offset)) }
            index += 8
            return (field, .fixed64(value))
        case 2:
            let length = Int(try varint())
            guard length >= 0, index + length <= bytes.endIndex else { throw PatchError("truncated protobuf field") }
            let slice = bytes[index..<(index + length)]
            index += length
            return (field, .bytes(slice))
        case 5:
            guard index + 4 <= bytes.endIndex else { throw PatchError("truncated protobuf fixed32") }
            var value: UInt32 = 0
            for offset in 0..<4 { value |= UInt32(bytes[index + offset]) << (8 * UInt32(offset)) }
            index += 4
            return (field, .fixed32(value))
        default:
            throw PatchError("unsupported protobuf wire type \(key & 7)")
        }
    }
}

extension ProtobufReader.Value {
    public var string: String? {
        if case .bytes(let slice) = self { return String(decoding: slice, as: UTF8.self) }
        return nil
    }

    public var slice: ArraySlice<UInt8>? {
        if case .bytes(let slice) = self { return slice }
        return nil
    }

    public var integer: Int64? {
        if case .varint(let value) = self { return Int64(bitPattern: value) }
        return nil
    }
}
