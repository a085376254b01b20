import Foundation
import SkiffAPI
import SkiffStore

/// Moving objects between the wire and the store: the store holds JSON without
/// `resourceVersion`; reads put the key's modRevision back in.
extension KubeAPI {
    /// A stored object is parsed once per revision however many readers and watchers ask.
    func decode(_ stored: KeyValue) throws -> JSON {
        try decodedObjects.object(key: stored.key, revision: stored.modRevision, bytes: stored.value)
    }

    /// The object a store event carries, parsed once for every watch that delivers it.
    func decode(_ event: StoreEvent, as definition: ResourceDefinition) throws -> JSON {
        definition.fromStorage(try decodedObjects.object(key: event.key, revision: event.revision, bytes: event.value))
    }

    func decode(_ bytes: [UInt8], revision: Int64) throws -> JSON {
        var object = try JSON(parsing: bytes)
        object["metadata"]["resourceVersion"] = .string(String(revision))
        return object
    }

    /// A stored object as `definition`'s version shows it.
    func decode(_ stored: KeyValue, as definition: ResourceDefinition) throws -> JSON {
        definition.fromStorage(try decode(stored))
    }

    func decode(_ bytes: [UInt8], revision: Int64, as definition: ResourceDefinition) throws -> JSON {
        definition.fromStorage(try decode(bytes, revision: revision))
    }

    /// The stored bytes of an object of `definition`'s version.
    static func encodeForStore(_ object: JSON, as definition: ResourceDefinition) -> [UInt8] {
        encodeForStore(definition.toStorage(object))
    }

    static func encodeForStore(_ object: JSON) -> [UInt8] {
        var copy = object
        copy["metadata"]["resourceVersion"] = .null
        return copy.bytes
    }

    func storeGet(_ key: String) async throws -> KeyValue? {
        do { return try await store.get(key) } catch { throw Self.map(error, nil, name: nil) }
    }

    /// Maps backend failures to Status errors for one resource.
    static func map(_ error: StoreError, _ definition: ResourceDefinition?, name: String?) -> APIError {
        let naming = definition?.naming ?? ResourceNaming(group: "", version: "v1", kind: "", plural: "")
        switch error {
        case .keyExists: return .alreadyExists(naming, name: name ?? "")
        case .notFound: return .notFound(naming, name: name ?? "")
        case .conflict: return .conflict(naming, name: name ?? "")
        case .compacted(let revision):
            return .gone("The resourceVersion for the provided watch is too old (compacted at \(revision)).")
        case .unavailable(let message): return APIError(code: 503, reason: "ServiceUnavailable", message: "storage is unavailable: \(message)")
        case .backend(let message): return .internalError("storage: \(message)")
        }
    }

    /// Loads one object or throws 404.
    func load(_ target: Target) async throws -> (KeyValue, JSON) {
        guard let name = target.name else { throw Self.pathNotFound }
        guard let stored = try await storeGet(target.definition.key(namespace: target.namespace, name: name)) else {
            throw APIError.notFound(target.definition.naming, name: name)
        }
        return (stored, try decode(stored, as: target.definition))
    }

    /// Parses a request body: JSON, YAML (`application/yaml`, `application/apply-patch+yaml`) or
    /// the protobuf kinds kubectl's generators send. Nothing is stored before this succeeds.
    static func parseBody(_ request: APIRequest) throws -> JSON {
        if request.body.count > maximumBodySize { throw APIError.tooLarge(limit: maximumBodySize) }
        guard !request.body.isEmpty else { throw APIError.badRequest("the request body is empty") }
        let type = request.contentType
        if type == "application/vnd.kubernetes.protobuf" { return try KubeProtobuf.decode(request.body) }
        if type.contains("protobuf") || type.contains("cbor") {
            throw APIError.unsupportedMediaType(type)
        }
        do {
            return try JSON(parsing: request.body)
        } catch {
            // JSON is a subset of YAML: the fast JSON parser first, the YAML one for the rest.
            if type.hasSuffix("yaml") { return try YAMLBody.parse(request.body) }
            throw APIError.badRequest("error decoding body as JSON: \(error)")
        }
    }

    static func randomSuffix(length: Int = 5) -> String {
        let alphabet = Array("bcdfghjklmnpqrstvwxz2456789")
        // One draw from the system generator (a getrandom call) for the whole suffix.
        var generator = SystemRandomNumberGenerator()
        var random: UInt64 = generator.next()
        return String(
            (0..<length).map { _ in
                defer { random /= UInt64(alphabet.count) }
                return alphabet[Int(random % UInt64(alphabet.count))]
            })
    }
}
