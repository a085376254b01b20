import Foundation
import Testing

/// Done-means 1 of the runtime issue: bundles from `skiff-runc spec` and from `runc spec`, with
/// the busybox rootfs, give the same stdout and exit code under skiff-runc as under Debian's runc.
@Suite("skiff-runc matches runc (root, real kernel)", .serialized)
struct RuncParityTests {
    @Test("same output and exit code as runc", arguments: ParityCase.all, Bundle.Generator.allCases)
    func sameOutputAndExitCodeAsRunc(_ parity: ParityCase, specFrom generator: Bundle.Generator) throws {
        try #require(Harness.isRoot, "needs root: namespaces, mounts and cgroups")
        try #require(FileManager.default.isExecutableFile(atPath: Harness.runc), "Debian's runc is missing: run scripts/setup")
        let context = try makeContext()
        defer { tearDown(context) }
        let bundle = try Bundle(specFrom: generator) { parity.edit(&$0, context) }
        defer { bundle.remove() }

        let reference = Harness.run(Harness.runc, ["--root", Harness.scratch + "/runc-state", "run", Harness.uniqueID("runc")], directory: bundle.path)
        let skiff = Harness.run(Harness.skiffRunc, ["--root", Harness.scratch + "/skiff-state", "run", Harness.uniqueID("skiff")], directory: bundle.path)

        #expect(parity.expect(reference), "runc itself did not behave as the case expects: \(reference)")
        #expect(skiff.stdout == reference.stdout, "stdout differs; skiff: \(skiff) runc: \(reference)")
        #expect(skiff.status == reference.status, "exit code differs; skiff: \(skiff) runc: \(reference)")
    }

    func makeContext() throws -> ParityContext {
        let directory = Harness.scratch + "/" + Harness.uniqueID("host")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try "from host\n".write(toFile: directory + "/file", atomically: true, encoding: .utf8)
        let netns = Harness.uniqueID("skiffns")
        let added = Harness.run("/usr/bin/env", ["ip", "netns", "add", netns])
        try #require(added.status == 0, "ip netns add: \(added)")
        return ParityContext(hostDirectory: directory, networkNamespace: netns)
    }

    func tearDown(_ context: ParityContext) {
        Harness.run("/usr/bin/env", ["ip", "netns", "delete", context.networkNamespace])
        try? FileManager.default.removeItem(atPath: context.hostDirectory)
    }
}
