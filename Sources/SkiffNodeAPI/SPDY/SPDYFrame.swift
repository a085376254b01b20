/// A SPDY/3 frame, as spoken inside kubectl's port-forward tunnel (one connection carries many
/// streams; client streams have odd ids). Header blocks are already decompressed here.
enum SPDYFrame: Sendable, Equatable {
    /// A new stream and its headers (names lower-case).
    case synStream(id: UInt32, headers: [String: String], fin: Bool)
    /// The answer to a `synStream`.
    case synReply(id: UInt32, headers: [String: String], fin: Bool)
    /// The stream is abandoned; `status` says why.
    case rstStream(id: UInt32, status: UInt32)
    /// Liveness check: the receiver echoes it.
    case ping(id: UInt32)
    /// The sender is closing the connection.
    case goAway(lastStream: UInt32)
    /// Bytes of a stream; `fin` ends the sender's half.
    case data(id: UInt32, bytes: [UInt8], fin: Bool)
    /// SETTINGS, HEADERS, WINDOW_UPDATE and anything newer: nothing port-forward needs.
    case ignored(type: UInt16)

    static let version: UInt16 = 3
    static let flagFin: UInt8 = 0x01
    /// The largest payload a frame's 24-bit length allows.
    static let maximumPayload = 0xff_ffff

    /// RST_STREAM status codes (SPDY/3 section 2.6.3).
    enum ResetStatus {
        static let protocolError: UInt32 = 1
        static let refusedStream: UInt32 = 3
        static let cancel: UInt32 = 5
    }

    enum ControlType {
        static let synStream: UInt16 = 1
        static let synReply: UInt16 = 2
        static let rstStream: UInt16 = 3
        static let ping: UInt16 = 6
        static let goAway: UInt16 = 7
    }
}
