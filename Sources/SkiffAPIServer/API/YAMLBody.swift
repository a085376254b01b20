import Foundation
import SkiffAPI
import Yams

/// YAML request bodies turned into the same `JSON` value a JSON body gives, as Kubernetes'
/// sigs.k8s.io/yaml does: YAML 1.1 plain scalars resolve to null/bool/int/float, everything else
/// (quoted scalars, timestamps) stays a string, and mapping keys become strings.
enum YAMLBody {
    /// Timestamps stay strings: `creationTimestamp: 2026-11-22T10:00:00Z` must not become a date.
    private static let resolver = Resolver.default.removing(.timestamp)

    /// Parses one YAML document; more than one, or none, is an error.
    static func parse(_ bytes: [UInt8]) throws(APIError) -> JSON {
        let text = String(decoding: bytes, as: UTF8.self)
        let root: Node?
        do {
            root = try Yams.compose(yaml: text, resolver)
        } catch {
            throw APIError.badRequest("error converting YAML to JSON: \(describe(error))")
        }
        guard let root else { throw APIError.badRequest("error converting YAML to JSON: the document is empty") }
        return try json(root)
    }

    private static func json(_ node: Node) throws(APIError) -> JSON {
        switch node {
        case .scalar(let scalar): return value(of: scalar)
        case .sequence(let sequence):
            var items: [JSON] = []
            for item in sequence { items.append(try json(item)) }
            return .array(items)
        case .mapping(let mapping):
            var object: [String: JSON] = [:]
            var merged: [String: JSON] = [:]
            for (key, child) in mapping {
                guard case .scalar(let keyScalar) = key else {
                    throw APIError.badRequest("error converting YAML to JSON: a mapping key must be a scalar, not a \(key.kindName)")
                }
                if key.tag.description == Tag.Name.merge.rawValue {
                    // `<<: *defaults` — explicit keys win over merged ones.
                    for source in child.sequence.map({ Array($0) }) ?? [child] {
                        guard case .object(let fields) = try json(source) else {
                            throw APIError.badRequest("error converting YAML to JSON: a merge key (<<) needs a mapping or a list of mappings")
                        }
                        merged.merge(fields) { first, _ in first }
                    }
                    continue
                }
                object[keyScalar.string] = try json(child)
            }
            return .object(object.merging(merged) { explicit, _ in explicit })
        case .alias:
            // Yams resolves aliases while composing; an unresolved one is malformed input.
            throw APIError.badRequest("error converting YAML to JSON: unresolved alias")
        }
    }

    private static func value(of scalar: Node.Scalar) -> JSON {
        let node = Node.scalar(scalar)
        // `Node.tag` resolves the plain scalar's tag with our resolver; `Scalar.tag` would not.
        switch node.tag.description {
        case Tag.Name.null.rawValue: return .null
        case Tag.Name.bool.rawValue: return node.bool.map(JSON.bool) ?? .string(scalar.string)
        case Tag.Name.int.rawValue:
            if let int = node.int { return .int(Int64(int)) }
            return node.float.map(JSON.double) ?? .string(scalar.string)
        case Tag.Name.float.rawValue:
            // JSON has no NaN or infinity; Kubernetes' converter fails on them too.
            guard let double = node.float, double.isFinite else { return .string(scalar.string) }
            return .double(double)
        default: return .string(scalar.string)
        }
    }

    /// Yams errors print libyaml's problem and a caret drawing; keep the first line with its position.
    private static func describe(_ error: any Error) -> String {
        if let yaml = error as? YamlError {
            switch yaml {
            case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
                .composer(let context, let problem, let mark, _):
                let around = context.map { " \($0.text)" } ?? ""
                return "yaml: line \(mark.line): \(problem)\(around)"
            default: break
            }
        }
        return String(describing: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
    }
}

extension Node {
    fileprivate var kindName: String {
        switch self {
        case .scalar: "scalar"
        case .mapping: "mapping"
        case .sequence: "sequence"
        case .alias: "alias"
        }
    }
}
