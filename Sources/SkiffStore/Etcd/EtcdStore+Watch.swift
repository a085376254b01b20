import SkiffAPI

extension EtcdStore {
    public func watch(prefix: String, afterRevision: Int64) async throws(StoreError) -> AsyncStream<StoreEvent> {
        // etcd reports a compacted start revision only inside the stream; probe first so callers
        // get `.compacted` synchronously, as from the SQLite backend.
        let current = try await currentRevision()
        if afterRevision > 0 && afterRevision <= current {
            _ = try await gateway.call("/v3/kv/range", ["key": encode(prefix), "limit": "1", "revision": .string(String(afterRevision))])
        }
        let request: JSON = [
            "create_request": [
                "key": encode(prefix), "range_end": encode(Self.rangeEnd(ofPrefix: prefix)),
                "start_revision": .string(String(afterRevision + 1)), "prev_kv": true,
            ]
        ]
        let (stream, continuation) = AsyncStream<StoreEvent>.makeStream()
        let gateway = self.gateway
        // The HTTP stream is pumped by its own task, cancelled when the consumer goes away.
        let task = Task {
            defer { continuation.finish() }
            try await gateway.stream("/v3/watch", request) { line in
                let result = line["result"]
                if result["canceled"].bool == true || !result["compact_revision"].isNull && Self.int(result["compact_revision"]) > 0 {
                    return false
                }
                for event in result["events"].array ?? [] {
                    let kv = keyValue(event["kv"])
                    let previous = event["prev_kv"].isNull ? nil : keyValue(event["prev_kv"])
                    let storeEvent: StoreEvent
                    if event["type"].string == "DELETE" {
                        storeEvent = StoreEvent(
                            kind: .deleted, key: kv.key, value: previous?.value ?? [], previousValue: previous?.value, revision: kv.modRevision)
                    } else {
                        let kind: StoreEvent.Kind = kv.createRevision == kv.modRevision ? .created : .updated
                        storeEvent = StoreEvent(kind: kind, key: kv.key, value: kv.value, previousValue: previous?.value, revision: kv.modRevision)
                    }
                    if case .terminated = continuation.yield(storeEvent) { return false }
                }
                return !Task.isCancelled
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }
}
