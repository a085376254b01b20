import CZlib

/// Why a SPDY stream could not be read.
public enum SPDYError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The peer sent bytes that are not SPDY/3 (wrong version, bad lengths, a corrupt header block).
    case malformed(String)

    public var description: String {
        switch self {
        case .malformed(let message): "malformed SPDY frame: \(message)"
        }
    }
}

/// One direction's header-block decompression. SPDY/3 compresses every header block of a
/// connection (and direction) as one zlib stream against `SPDYHeaderDictionary`, so the state
/// lives as long as the connection and blocks must be fed in the order they arrive.
final class SPDYHeaderInflater {
    private let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)

    init() {
        stream.initialize(to: z_stream())
        // Only fails without memory; the first inflate would then report it.
        _ = czlib_inflate_init(stream)
    }

    deinit {
        inflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// The decompressed bytes of one header block.
    func inflate(_ block: [UInt8]) throws(SPDYError) -> [UInt8] {
        var input = block
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        let result: Int32 = input.withUnsafeMutableBufferPointer { inputBuffer in
            stream.pointee.next_in = inputBuffer.baseAddress
            stream.pointee.avail_in = UInt32(inputBuffer.count)
            while true {
                let status = chunk.withUnsafeMutableBufferPointer { chunkBuffer in
                    stream.pointee.next_out = chunkBuffer.baseAddress
                    stream.pointee.avail_out = UInt32(chunkBuffer.count)
                    var status = CZlib.inflate(stream, Z_SYNC_FLUSH)
                    if status == Z_NEED_DICT {
                        status = SPDYHeaderDictionary.bytes.withUnsafeBufferPointer {
                            inflateSetDictionary(stream, $0.baseAddress, UInt32($0.count))
                        }
                        if status == Z_OK { status = CZlib.inflate(stream, Z_SYNC_FLUSH) }
                    }
                    return status
                }
                let produced = chunk.count - Int(stream.pointee.avail_out)
                output += chunk[0..<produced]
                if status == Z_BUF_ERROR && stream.pointee.avail_in == 0 { return Z_OK }
                guard status == Z_OK else { return status }
                if stream.pointee.avail_in == 0 && stream.pointee.avail_out != 0 { return Z_OK }
            }
        }
        stream.pointee.next_in = nil
        stream.pointee.next_out = nil
        guard result == Z_OK else { throw .malformed("header block does not decompress (zlib status \(result))") }
        return output
    }
}

/// The other direction: our header blocks, one zlib stream with the dictionary, each block
/// ended with a sync flush so the peer can decode it alone.
final class SPDYHeaderDeflater {
    private let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)

    init() {
        stream.initialize(to: z_stream())
        _ = czlib_deflate_init(stream, Z_DEFAULT_COMPRESSION)
        _ = SPDYHeaderDictionary.bytes.withUnsafeBufferPointer { deflateSetDictionary(stream, $0.baseAddress, UInt32($0.count)) }
    }

    deinit {
        deflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    func deflate(_ block: [UInt8]) -> [UInt8] {
        var input = block
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        input.withUnsafeMutableBufferPointer { inputBuffer in
            stream.pointee.next_in = inputBuffer.baseAddress
            stream.pointee.avail_in = UInt32(inputBuffer.count)
            repeat {
                chunk.withUnsafeMutableBufferPointer { chunkBuffer in
                    stream.pointee.next_out = chunkBuffer.baseAddress
                    stream.pointee.avail_out = UInt32(chunkBuffer.count)
                    _ = CZlib.deflate(stream, Z_SYNC_FLUSH)
                }
                output += chunk[0..<(chunk.count - Int(stream.pointee.avail_out))]
            } while stream.pointee.avail_out == 0
        }
        stream.pointee.next_in = nil
        stream.pointee.next_out = nil
        return output
    }
}
