/// One challenge from a registry's `WWW-Authenticate` header (RFC 7235): a scheme and its
/// parameters, as in `Bearer realm="https://auth.example/token",service="registry",scope="…"`.
public struct AuthChallenge: Equatable, Sendable {
    /// Lower-cased: "basic" or "bearer" (others are kept but not answered).
    public var scheme: String
    /// Parameter names lower-cased, values unquoted.
    public var parameters: [String: String]

    public init(scheme: String, parameters: [String: String]) {
        self.scheme = scheme
        self.parameters = parameters
    }

    /// Parses a header value into its challenges; malformed pieces are skipped, never trapped on.
    public static func parse(_ header: String) -> [AuthChallenge] {
        var challenges: [AuthChallenge] = []
        var scanner = Scanner(Array(header.utf8))
        while !scanner.atEnd {
            scanner.skip { $0 == .space || $0 == .comma }
            let token = scanner.token()
            guard !token.isEmpty else {
                scanner.skipOne()
                continue
            }
            scanner.skip { $0 == .space }
            if scanner.peek == .equals, var last = challenges.popLast() {
                // A parameter of the challenge before (`a=b, c=d` continues it).
                scanner.skipOne()
                last.parameters[token.lowercased()] = scanner.value()
                challenges.append(last)
            } else {
                challenges.append(AuthChallenge(scheme: token.lowercased(), parameters: [:]))
            }
        }
        return challenges
    }

    /// A cursor over the header's bytes.
    private struct Scanner {
        let bytes: [UInt8]
        var index = 0

        init(_ bytes: [UInt8]) { self.bytes = bytes }

        var atEnd: Bool { index >= bytes.count }
        var peek: UInt8? { atEnd ? nil : bytes[index] }

        mutating func skipOne() { index += 1 }

        mutating func skip(while predicate: (UInt8) -> Bool) {
            while let byte = peek, predicate(byte) { index += 1 }
        }

        /// A token: anything up to a separator.
        mutating func token() -> String {
            let start = index
            skip { $0 != .space && $0 != .comma && $0 != .equals && $0 != .quote }
            return String(decoding: bytes[start..<index], as: UTF8.self)
        }

        /// A quoted string (with backslash escapes) or a bare token.
        mutating func value() -> String {
            skip { $0 == .space }
            guard peek == .quote else { return token() }
            skipOne()
            var result: [UInt8] = []
            while let byte = peek {
                skipOne()
                if byte == .quote { break }
                if byte == .backslash, let escaped = peek {
                    skipOne()
                    result.append(escaped)
                } else {
                    result.append(byte)
                }
            }
            return String(decoding: result, as: UTF8.self)
        }
    }
}

extension UInt8 {
    fileprivate static let space = UInt8(ascii: " ")
    fileprivate static let comma = UInt8(ascii: ",")
    fileprivate static let equals = UInt8(ascii: "=")
    fileprivate static let quote = UInt8(ascii: "\"")
    fileprivate static let backslash = UInt8(ascii: "\\")
}
