import Testing

@testable import SkiffAPIServer

@Suite("requests to upgrade to something other than websocket become plain requests")
struct DeclinedUpgradeTests {
    static func head(_ lines: String...) -> [UInt8] { Array((lines.joined(separator: "\r\n") + "\r\n\r\n").utf8) }

    @Test("kubectl's SPDY upgrade loses its Upgrade and Connection headers; everything else stays byte for byte")
    func spdyBecomesPlain() throws {
        let head = Self.head(
            "POST /api/v1/namespaces/default/pods/web/exec?command=ls HTTP/1.1", "Host: 127.0.0.1:6443", "Connection: Upgrade",
            "Upgrade: SPDY/3.1", "X-Stream-Protocol-Version: v4.channel.k8s.io")
        let end = try #require(DeclinedUpgradeHandler.headEnd(head + Array("body".utf8)))
        #expect(end == head.count)
        let rewritten = try #require(DeclinedUpgradeHandler.rewrite(head: head[...]))
        #expect(
            String(decoding: rewritten, as: UTF8.self)
                == "POST /api/v1/namespaces/default/pods/web/exec?command=ls HTTP/1.1\r\nHost: 127.0.0.1:6443\r\nX-Declined-Connection: Upgrade\r\n"
                + "X-Declined-Upgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n\r\n")
    }

    @Test("websocket upgrades and requests without an upgrade are left alone")
    func othersUntouched() {
        #expect(DeclinedUpgradeHandler.rewrite(head: Self.head("GET /exec HTTP/1.1", "Connection: Upgrade", "upgrade: WebSocket")[...]) == nil)
        #expect(DeclinedUpgradeHandler.rewrite(head: Self.head("GET /api HTTP/1.1", "Connection: keep-alive")[...]) == nil)
        #expect(DeclinedUpgradeHandler.headEnd(Array("GET / HTTP/1.1\r\nHost: x\r\n".utf8)) == nil)
    }
}
