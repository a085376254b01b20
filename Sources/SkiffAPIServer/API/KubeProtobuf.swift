import SkiffAPI

/// Decodes the Kubernetes protobuf envelope (`k8s\0` + runtime.Unknown) for the kinds kubectl's
/// `create` commands send that way (see `KubeProtobufSchema`). Other kinds answer 415.
enum KubeProtobuf {
    static let magic: [UInt8] = [0x6B, 0x38, 0x73, 0x00]

    static func decode(_ body: [UInt8]) throws -> JSON {
        guard body.starts(with: magic) else { throw APIError.badRequest("protobuf body without the k8s envelope") }
        do {
            var envelope = ProtobufReader(body[4...])
            var apiVersion = ""
            var kind = ""
            var raw: ArraySlice<UInt8> = []
            while let (field, value) = try envelope.next() {
                switch field {
                case 1:
                    var typeMeta = ProtobufReader(value.slice ?? [])
                    while let (typeField, typeValue) = try typeMeta.next() {
                        if typeField == 1 { apiVersion = typeValue.string ?? "" }
                        if typeField == 2 { kind = typeValue.string ?? "" }
                    }
                case 2: raw = value.slice ?? []
                default: break
                }
            }
            guard let message = KubeProtobufSchema.kinds["\(apiVersion)/\(kind)"] ?? KubeProtobufSchema.kinds[kind] else {
                throw APIError.unsupportedMediaType("application/vnd.kubernetes.protobuf for \(kind) (send JSON)")
            }
            var object = try KubeProtobufSchema.decode(raw, as: message)
            object["apiVersion"] = .string(apiVersion)
            object["kind"] = .string(kind)
            return object
        } catch let error as PatchError {
            throw APIError.badRequest("malformed protobuf body: \(error.message)")
        }
    }
}
