import SkiffJSON
import Testing

@Suite("SkiffJSON: parsing, serialization and typed reads")
struct SkiffJSONTests {
    struct Limit: JSONDecodable, JSONEncodable, Equatable {
        var type: String
        var hard: UInt64
        var soft: UInt64?

        init(type: String, hard: UInt64, soft: UInt64?) {
            self.type = type
            self.hard = hard
            self.soft = soft
        }

        init(json: JSONField) throws(JSONShapeError) {
            type = try json.required("type")
            hard = try json.required("hard")
            soft = try json.optional("soft")
        }

        var json: JSON {
            var fields: [String: JSON] = ["type": .string(type), "hard": hard.json]
            fields["soft"] = soft?.json
            return .object(fields)
        }
    }

    @Test("compact output sorts keys and escapes quotes, backslashes and control characters")
    func compactOutput() throws {
        let value: JSON = ["b": [1, true, nil], "a": .string("q\"\\\n\u{01}é/")]
        #expect(value.serialized == #"{"a":"q\"\\\n\u0001é/","b":[1,true,null]}"#)
        #expect(try JSON(parsing: value.serialized) == value)
    }

    @Test("pretty output indents by two spaces and keeps empty containers on one line")
    func prettyOutput() {
        let value: JSON = ["list": [1, 2], "empty": [], "none": .object([:])]
        #expect(value.prettyPrinted == "{\n  \"empty\": [],\n  \"list\": [\n    1,\n    2\n  ],\n  \"none\": {}\n}")
    }

    @Test("integers above Int64.max stay exact only when asked for")
    func largeIntegers() throws {
        let text = #"{"type":"RLIMIT_CORE","hard":18446744073709551615}"#
        #expect(try JSON(parsing: text)["hard"] == .double(1.8446744073709552e19))
        let limit = try Limit(jsonBytes: Array(text.utf8))
        #expect(limit == Limit(type: "RLIMIT_CORE", hard: .max, soft: nil))
        #expect(limit.json.serialized == #"{"hard":18446744073709551615,"type":"RLIMIT_CORE"}"#)
    }

    @Test("typed reads name the field that is wrong")
    func shapeErrors() {
        func problem(_ text: String) -> String {
            do {
                _ = try [Limit](jsonBytes: Array(text.utf8))
                return "no error"
            } catch {
                return "\(error)"
            }
        }
        #expect(problem(#"[{"type":"x","hard":"1"}]"#) == "[0].hard: expected UInt64, found string")
        #expect(problem(#"[{"type":"x","hard":1},{"hard":1}]"#) == "[1].type: required field is missing")
        #expect(problem(#"[{"type":"x","hard":-1}]"#) == "[0].hard: expected UInt64, found -1, which does not fit")
        #expect(problem(#"[{"type":"x","hard":1,"soft":null}]"#) == "no error")
        #expect(problem(#"{"type":"x"}"#) == "(top level): expected Array, found object")
    }

    @Test("bad text reports where parsing stopped")
    func parseErrors() {
        #expect(throws: JSONParseError.self) { try JSON(parsing: #"{"a": "#) }
        #expect(throws: JSONParseError.self) { try JSON(parsing: "[1] x") }
    }
}
