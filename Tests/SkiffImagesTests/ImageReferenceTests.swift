import SkiffImages
import Testing

@Suite("Image references normalize like Docker's")
struct ImageReferenceTests {
    @Test(
        "spellings of one image normalize to the same full name",
        arguments: [
            ("busybox", "docker.io/library/busybox:latest", "busybox:latest"),
            ("busybox:latest", "docker.io/library/busybox:latest", "busybox:latest"),
            ("docker.io/library/busybox:latest", "docker.io/library/busybox:latest", "busybox:latest"),
            ("library/busybox", "docker.io/library/busybox:latest", "busybox:latest"),
            ("index.docker.io/library/busybox:1.36", "docker.io/library/busybox:1.36", "busybox:1.36"),
            ("user/app:v2", "docker.io/user/app:v2", "user/app:v2"),
            ("localhost:5000/app", "localhost:5000/app:latest", "localhost:5000/app:latest"),
            ("quay.io/coreos/etcd:v3.5", "quay.io/coreos/etcd:v3.5", "quay.io/coreos/etcd:v3.5"),
            ("localhost/x", "localhost/x:latest", "localhost/x:latest"),
        ])
    func normalizes(input: String, full: String, familiar: String) throws {
        let reference = try ImageReference(parsing: input)
        #expect(reference.description == full)
        #expect(reference.familiar == familiar)
    }

    @Test("a digest reference keeps its digest and gets no default tag")
    func digest() throws {
        let digest = "sha256:" + String(repeating: "ab", count: 32)
        let reference = try ImageReference(parsing: "busybox@" + digest)
        #expect(reference.tag == nil)
        #expect(reference.digest == digest)
        #expect(reference.description == "docker.io/library/busybox@" + digest)
    }

    @Test(
        "bad references are rejected with a reason",
        arguments: [
            "", "Busybox", "busybox:", "busybox:-x", "a//b", "busybox@sha256:12", "-leading", "trailing-",
        ])
    func rejects(input: String) {
        #expect(throws: ImageError.self) { try ImageReference(parsing: input) }
    }
}

@Suite("skiff image ls looks like crictl images")
struct ImageListFormatterTests {
    @Test(
        "sizes use decimal units with three significant digits",
        arguments: [
            (Int64(0), "0B"), (999, "999B"), (1000, "1kB"), (1_044_480, "1.04MB"), (2_200_000, "2.2MB"),
            (123_456_789, "123MB"), (9_996, "10kB"), (999_999, "1e+03kB"),
        ])
    func humanSize(bytes: Int64, text: String) {
        #expect(ImageListFormatter.humanSize(bytes) == text)
    }
}
