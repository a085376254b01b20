import SkiffAPI
import Testing

/// The CIDR parser NetworkPolicy's ipBlock is validated and compiled with.
@Suite("CIDR: parsing and containment")
struct CIDRTests {
    @Test(
        "IPv4 and IPv6 blocks parse with host bits cleared; malformed ones do not",
        arguments: [
            ("10.0.0.0/8", "10.0.0.0/8"), ("10.1.2.3/16", "10.1.0.0/16"), ("0.0.0.0/0", "0.0.0.0/0"), ("192.0.2.7/32", "192.0.2.7/32"),
            ("fd00::1/64", "fd00:0:0:0:0:0:0:0/64"),
        ])
    func parses(text: String, canonical: String) throws {
        #expect(try #require(CIDR(text)).description == canonical)
    }

    @Test("malformed blocks are refused", arguments: ["10.0.0.0/33", "10.0.0.0", "10.0.0/8", "not-a-cidr", "10.0.0.0/-1", "fd00::/129", "10.0.0.0/ 8", ""])
    func refuses(text: String) {
        #expect(CIDR(text) == nil)
    }

    @Test("containment needs the same family and a prefix at least as long; IPv4 ranges are inclusive")
    func contains() throws {
        let block = try #require(CIDR("10.0.0.0/16"))
        #expect(block.contains(try #require(CIDR("10.0.5.0/24"))))
        #expect(block.contains(block))
        #expect(!block.contains(try #require(CIDR("10.1.0.0/24"))))
        #expect(!block.contains(try #require(CIDR("10.0.0.0/8"))))
        #expect(!block.contains(try #require(CIDR("::/0"))))
        #expect(block.ipv4Range == 0x0A00_0000...0x0A00_FFFF)
        #expect(try #require(CIDR("0.0.0.0/0")).ipv4Range == 0...UInt32.max)
        #expect(try #require(CIDR("fd00::/8")).ipv4Range == nil)
    }
}
