import SkiffJSON
import SkiffSystem

extension RuntimeSpec {
    /// Reads and validates `bundle/config.json`.
    public static func load(bundle: String) throws -> RuntimeSpec {
        let path = bundle + "/config.json"
        let present: [UInt8]?
        do {
            present = try FileSystem.readBytesIfPresent(path)
        } catch {
            throw RuntimeError("cannot read \(path): \(error)")
        }
        guard let bytes = present else { throw RuntimeError("cannot read \(path): no such file (is --bundle right?)") }
        let spec = try decode(bytes, what: "config.json")
        try spec.validate(bundle: bundle)
        return spec
    }

    /// Parses JSON into `T`, with errors that say what was read and name the field:
    /// `config.json: process.rlimits[0].hard: expected UInt64, found string`.
    public static func decode<T: JSONDecodable>(_ bytes: [UInt8], as type: T.Type = RuntimeSpec.self, what: String) throws(RuntimeError) -> T {
        let json: JSON
        do {
            json = try JSON(parsing: bytes, exactIntegers: true)
        } catch {
            throw RuntimeError("\(what): invalid JSON: \(error)")
        }
        do {
            return try T(json: JSONField(json))
        } catch {
            throw RuntimeError("\(what): \(error)")
        }
    }

    public func encoded(pretty: Bool = true) -> String {
        pretty ? json.prettyPrinted : json.serialized
    }
}
