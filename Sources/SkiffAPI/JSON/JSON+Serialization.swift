extension JSON {
    /// Compact JSON text with sorted object keys.
    public var serialized: String {
        var output = ""
        output.reserveCapacity(256)
        write(to: &output)
        return output
    }

    public var bytes: [UInt8] { Array(serialized.utf8) }

    func write(to output: inout String) {
        switch self {
        case .null: output += "null"
        case .bool(let value): output += value ? "true" : "false"
        case .int(let value): output += String(value)
        case .double(let value):
            if value.rounded() == value, abs(value) < 1e15 { output += String(Int64(value)) } else { output += "\(value)" }
        case .string(let value): JSON.writeString(value, to: &output)
        case .array(let elements):
            output += "["
            for (offset, element) in elements.enumerated() {
                if offset > 0 { output += "," }
                element.write(to: &output)
            }
            output += "]"
        case .object(let dictionary):
            output += "{"
            for (offset, key) in dictionary.keys.sorted().enumerated() {
                if offset > 0 { output += "," }
                JSON.writeString(key, to: &output)
                output += ":"
                dictionary[key, default: .null].write(to: &output)
            }
            output += "}"
        }
    }

    static func writeString(_ value: String, to output: inout String) {
        output += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    output.unicodeScalars.append(scalar)
                }
            }
        }
        output += "\""
    }
}
