import SkiffStore
import SkiffTestSupport
import Testing

/// The store backends the contract tests run against.
enum BackendKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, etcd
    var testDescription: String { rawValue }
}

/// A fresh store of one kind, with whatever it needs (a temp dir, an etcd process) kept alive.
final class TestBackend: @unchecked Sendable {
    // @unchecked: owned by a single test; the fields are never mutated after init.
    let store: any Store
    private let directory: TemporaryDirectory?
    private let etcd: EtcdProcess?

    init(_ kind: BackendKind) throws {
        switch kind {
        case .sqlite:
            let directory = try TemporaryDirectory()
            store = try SQLiteStore(path: directory.path + "/state.db")
            self.directory = directory
            etcd = nil
        case .etcd:
            let etcd = try EtcdProcess()
            store = try EtcdStore(endpoint: etcd.endpoint, keyPrefix: "/skiff-test")
            self.etcd = etcd
            directory = nil
        }
    }
}
