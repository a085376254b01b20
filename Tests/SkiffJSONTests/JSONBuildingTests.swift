import SkiffJSON
import Testing

@Suite("SkiffJSON: building objects in code")
struct JSONBuildingTests {
    @Test("nil members are left out, present ones kept (null included), a repeated key keeps its last non-nil value")
    func omittingNils() {
        let missing: String? = nil
        let value = JSON(omittingNils: [
            ("a", 1), ("b", missing?.json), ("c", .null), ("d", "x"), ("d", nil), ("e", "first"), ("e", "last"),
        ])
        #expect(value == .object(["a": 1, "c": .null, "d": "x", "e": "last"]))
        #expect(value.serialized == #"{"a":1,"c":null,"d":"x","e":"last"}"#)
        #expect(JSON(omittingNils: []) == .emptyObject)
    }
}
