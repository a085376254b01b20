import SkiffAPI

/// The etcd v3 backend, through etcd's JSON gateway. Revisions, compare-and-swap (txn on
/// mod_revision) and watches map one-to-one onto etcd's own; keys live under `keyPrefix`.
public struct EtcdStore: Store {
    let gateway: EtcdGateway
    let keyPrefix: String

    public init(endpoint: String, keyPrefix: String = "/skiff") throws(StoreError) {
        try self.init(endpoints: [endpoint], keyPrefix: keyPrefix)
    }

    /// A store on an etcd cluster: `endpoints` are its members' client URLs (calls go to the one
    /// that answered last and move on when it cannot answer); `tls` is needed for https ones.
    public init(endpoints: [String], tls: EtcdClientTLS? = nil, keyPrefix: String = "/skiff") throws(StoreError) {
        gateway = try EtcdGateway(endpoints: endpoints, tls: tls)
        self.keyPrefix = keyPrefix
    }

    func encode(_ key: String) -> JSON { .string(Base64.encode(Array((keyPrefix + key).utf8))) }

    func keyValue(_ kv: JSON) -> KeyValue {
        let key = String(decoding: Base64.decode(kv["key"].string ?? "") ?? [], as: UTF8.self)
        return KeyValue(
            key: String(key.dropFirst(keyPrefix.count)), value: Base64.decode(kv["value"].string ?? "") ?? [],
            createRevision: Self.int(kv["create_revision"]), modRevision: Self.int(kv["mod_revision"]))
    }

    /// The gateway writes int64s as JSON strings.
    static func int(_ value: JSON) -> Int64 { value.int ?? value.string.flatMap { Int64($0) } ?? 0 }

    public func get(_ key: String) async throws(StoreError) -> KeyValue? {
        let response = try await gateway.call("/v3/kv/range", ["key": encode(key)])
        return response["kvs"].array?.first.map(keyValue)
    }

    public func list(prefix: String, startAfter: String?, limit: Int?, revision: Int64?) async throws(StoreError) -> ListResult {
        var start = Array((keyPrefix + prefix).utf8)
        if let startAfter, startAfter >= prefix { start = Array((keyPrefix + startAfter).utf8) + [0] }
        var request: JSON = ["key": .string(Base64.encode(start)), "range_end": encode(Self.rangeEnd(ofPrefix: prefix))]
        if let limit { request["limit"] = .string(String(limit)) }
        if let revision { request["revision"] = .string(String(revision)) }
        let response = try await gateway.call("/v3/kv/range", request)
        let readRevision = revision ?? Self.int(response["header"]["revision"])
        return ListResult(items: (response["kvs"].array ?? []).map(keyValue), revision: readRevision, hasMore: response["more"].bool ?? false)
    }

    func transaction(compare: JSON, success: JSON) async throws(StoreError) -> (succeeded: Bool, revision: Int64) {
        let response = try await gateway.call("/v3/kv/txn", ["compare": [compare], "success": [success]])
        return (response["succeeded"].bool ?? false, Self.int(response["header"]["revision"]))
    }

    public func create(_ key: String, value: [UInt8]) async throws(StoreError) -> Int64 {
        let result = try await transaction(
            compare: ["key": encode(key), "target": "CREATE", "result": "EQUAL", "create_revision": "0"],
            success: ["request_put": ["key": encode(key), "value": .string(Base64.encode(value))]])
        guard result.succeeded else { throw .keyExists }
        return result.revision
    }

    public func update(_ key: String, value: [UInt8], expectedRevision: Int64) async throws(StoreError) -> Int64 {
        let result = try await transaction(
            compare: ["key": encode(key), "target": "MOD", "result": "EQUAL", "mod_revision": .string(String(expectedRevision))],
            success: ["request_put": ["key": encode(key), "value": .string(Base64.encode(value))]])
        guard result.succeeded else {
            guard let current = try await get(key) else { throw .notFound }
            throw .conflict(current: current.modRevision)
        }
        return result.revision
    }

    public func delete(_ key: String, expectedRevision: Int64?) async throws(StoreError) -> Int64 {
        let compare: JSON =
            expectedRevision.map {
                ["key": encode(key), "target": "MOD", "result": "EQUAL", "mod_revision": .string(String($0))]
            } ?? ["key": encode(key), "target": "CREATE", "result": "GREATER", "create_revision": "0"]
        let result = try await transaction(compare: compare, success: ["request_delete_range": ["key": encode(key)]])
        guard result.succeeded else {
            guard let current = try await get(key) else { throw .notFound }
            throw .conflict(current: current.modRevision)
        }
        return result.revision
    }

    public func currentRevision() async throws(StoreError) -> Int64 {
        let response = try await gateway.call("/v3/kv/range", ["key": encode("/"), "limit": "1"])
        return Self.int(response["header"]["revision"])
    }

    public func compact(keepingRecent keep: Int64) async throws(StoreError) {
        let target = try await currentRevision() - keep
        guard target > 1 else { return }
        do {
            _ = try await gateway.call("/v3/kv/compaction", ["revision": .string(String(target)), "physical": true])
        } catch .compacted {
            return  // Already compacted at or past the target.
        }
    }
}
