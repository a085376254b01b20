import FoundationEssentials
import SkiffSystem

extension RuntimeSpec {
    /// Reads and validates `bundle/config.json`.
    public static func load(bundle: String) throws -> RuntimeSpec {
        let path = bundle + "/config.json"
        let bytes: [UInt8]
        do {
            bytes = try FileSystem.readBytes(path)
        } catch {
            throw RuntimeError("cannot read \(path): \(error.errnoName == "ENOENT" ? "no such file (is --bundle right?)" : error.description)")
        }
        let spec = try decode(Data(bytes), what: "config.json")
        try spec.validate(bundle: bundle)
        return spec
    }

    /// Decodes JSON, turning decoder errors into messages that name the field.
    public static func decode<T: Decodable>(_ data: Data, as type: T.Type = RuntimeSpec.self, what: String) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch let error as DecodingError {
            throw RuntimeError("\(what): \(error.humanReadable)")
        }
    }

    public func encoded(pretty: Bool = true) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}

extension DecodingError {
    /// "process.rlimits[0].hard: expected UInt64" instead of the decoder's debug dump.
    public var humanReadable: String {
        func path(_ keys: [any CodingKey]) -> String {
            var result = ""
            for key in keys {
                if let index = key.intValue {
                    result += "[\(index)]"
                } else {
                    result += (result.isEmpty ? "" : ".") + key.stringValue
                }
            }
            return result.isEmpty ? "(top level)" : result
        }
        switch self {
        case .typeMismatch(let type, let context):
            return "\(path(context.codingPath)): expected \(type)"
        case .valueNotFound(let type, let context):
            return "\(path(context.codingPath)): expected \(type), found null"
        case .keyNotFound(let key, let context):
            return "\(path(context.codingPath + [key])): required field is missing"
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                return "invalid JSON: \(context.debugDescription)"
            }
            return "\(path(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "\(self)"
        }
    }
}
