/// RFC 6902 JSON patch (`application/json-patch+json`): a list of add/remove/replace/move/copy/test.
public enum JSONPatch {
    public static func apply(_ patch: JSON, to original: JSON) throws(PatchError) -> JSON {
        guard let operations = patch.array else { throw PatchError("a JSON patch must be an array of operations") }
        var document = original
        for operation in operations {
            guard let op = operation["op"].string else { throw PatchError("JSON patch operation without \"op\"") }
            guard let path = operation["path"].string else { throw PatchError("JSON patch operation without \"path\"") }
            let pointer = try JSONPointer(path)
            switch op {
            case "add":
                document = try pointer.setting(operation["value"], in: document, inserting: true)
            case "remove":
                _ = try pointer.read(document)
                document = try pointer.removing(from: document)
            case "replace":
                _ = try pointer.read(document)
                document = try pointer.setting(operation["value"], in: document, inserting: false)
            case "move", "copy":
                guard let from = operation["from"].string else { throw PatchError("\(op) without \"from\"") }
                let source = try JSONPointer(from)
                let value = try source.read(document)
                if op == "move" { document = try source.removing(from: document) }
                document = try pointer.setting(value, in: document, inserting: true)
            case "test":
                guard try pointer.read(document) == operation["value"] else {
                    throw PatchError("test operation failed at \(path)")
                }
            default:
                throw PatchError("unknown JSON patch operation \"\(op)\"")
            }
        }
        return document
    }
}

/// An RFC 6901 JSON pointer such as `/spec/containers/0/image`.
struct JSONPointer {
    let tokens: [String]

    init(_ text: String) throws(PatchError) {
        if text.isEmpty {
            tokens = []
            return
        }
        guard text.hasPrefix("/") else { throw PatchError("invalid JSON pointer \"\(text)\"") }
        tokens = text.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map {
            $0.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
        }
    }

    func read(_ document: JSON) throws(PatchError) -> JSON {
        var current = document
        for token in tokens {
            switch current {
            case .object(let fields):
                guard let next = fields[token] else { throw PatchError("path /\(tokens.joined(separator: "/")) does not exist") }
                current = next
            case .array(let elements):
                guard let index = Int(token), elements.indices.contains(index) else {
                    throw PatchError("array index \(token) out of range")
                }
                current = elements[index]
            default:
                throw PatchError("path /\(tokens.joined(separator: "/")) does not exist")
            }
        }
        return current
    }

    func setting(_ value: JSON, in document: JSON, inserting: Bool) throws(PatchError) -> JSON {
        try Self.set(value, in: document, tokens: tokens[...], inserting: inserting)
    }

    func removing(from document: JSON) throws(PatchError) -> JSON {
        guard !tokens.isEmpty else { throw PatchError("cannot remove the document root") }
        return try Self.remove(from: document, tokens: tokens[...])
    }

    private static func set(_ value: JSON, in node: JSON, tokens: ArraySlice<String>, inserting: Bool) throws(PatchError) -> JSON {
        guard let token = tokens.first else { return value }
        let rest = tokens.dropFirst()
        switch node {
        case .object(var fields):
            if rest.isEmpty {
                fields[token] = value
            } else {
                guard let child = fields[token] else { throw PatchError("missing path component \"\(token)\"") }
                fields[token] = try set(value, in: child, tokens: rest, inserting: inserting)
            }
            return .object(fields)
        case .array(var elements):
            if rest.isEmpty {
                if token == "-" && inserting {
                    elements.append(value)
                    return .array(elements)
                }
                guard let index = Int(token), index >= 0, index <= elements.count else {
                    throw PatchError("array index \(token) out of range")
                }
                if inserting {
                    elements.insert(value, at: index)
                } else {
                    guard index < elements.count else { throw PatchError("array index \(token) out of range") }
                    elements[index] = value
                }
            } else {
                guard let index = Int(token), elements.indices.contains(index) else {
                    throw PatchError("array index \(token) out of range")
                }
                elements[index] = try set(value, in: elements[index], tokens: rest, inserting: inserting)
            }
            return .array(elements)
        default:
            throw PatchError("cannot traverse a \(node.typeName) at \"\(token)\"")
        }
    }

    private static func remove(from node: JSON, tokens: ArraySlice<String>) throws(PatchError) -> JSON {
        guard let token = tokens.first else { return node }
        let rest = tokens.dropFirst()
        switch node {
        case .object(var fields):
            guard let child = fields[token] else { throw PatchError("missing path component \"\(token)\"") }
            if rest.isEmpty { fields.removeValue(forKey: token) } else { fields[token] = try remove(from: child, tokens: rest) }
            return .object(fields)
        case .array(var elements):
            guard let index = Int(token), elements.indices.contains(index) else {
                throw PatchError("array index \(token) out of range")
            }
            if rest.isEmpty { elements.remove(at: index) } else { elements[index] = try remove(from: elements[index], tokens: rest) }
            return .array(elements)
        default:
            throw PatchError("cannot traverse a \(node.typeName) at \"\(token)\"")
        }
    }
}
