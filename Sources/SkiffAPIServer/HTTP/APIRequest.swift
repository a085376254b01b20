import Foundation
import SkiffAPI

/// An HTTP request as the API logic sees it, independent of the HTTP server library.
public struct APIRequest: Sendable {
    public var method: String
    public var path: String
    public var query: [String: String]
    /// Header names lowercased.
    public var headers: [String: String]
    public var body: [UInt8]
    /// The DER of the client certificate the TLS handshake verified against the cluster CA, when
    /// the request carries no bearer token (only then does it decide who the request is from).
    public var clientCertificate: [UInt8]?

    public init(
        method: String, path: String, query: [String: String] = [:], headers: [String: String] = [:], body: [UInt8] = [],
        clientCertificate: [UInt8]? = nil
    ) {
        self.clientCertificate = clientCertificate
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
    }

    /// Splits `a=1&b=x%2Cy` into decoded pairs (`+` is a space, as Go's url.ParseQuery has it).
    public static func parseQuery(_ query: String?) -> [String: String] {
        var result: [String: String] = [:]
        for pair in (query ?? "").split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String {
                let spaced = text.replacingOccurrences(of: "+", with: " ")
                return spaced.removingPercentEncoding ?? spaced
            }
            result[decode(parts[0])] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return result
    }

    var accept: String { headers["accept"] ?? "" }
    /// The media type without parameters. Plain byte trimming: Foundation's `trimmingCharacters`
    /// showed up in profiles of every write.
    var contentType: String {
        guard let header = headers["content-type"] else { return "" }
        return Self.trimmingSpaces(header.utf8.split(separator: UInt8(ascii: ";"), maxSplits: 1, omittingEmptySubsequences: false).first ?? Substring().utf8)
    }

    /// `bytes` without leading and trailing spaces and tabs, as a String.
    static func trimmingSpaces(_ bytes: Substring.UTF8View.SubSequence) -> String {
        var slice = bytes
        while let first = slice.first, first == UInt8(ascii: " ") || first == UInt8(ascii: "\t") { slice = slice.dropFirst() }
        while let last = slice.last, last == UInt8(ascii: " ") || last == UInt8(ascii: "\t") { slice = slice.dropLast() }
        return String(decoding: slice, as: UTF8.self)
    }
    var wantsTable: Bool { accept.contains("as=Table") }

    func flag(_ name: String) -> Bool { query[name] == "true" || query[name] == "1" }
}
