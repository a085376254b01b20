/// A Job's `spec.podFailurePolicy`: rules, tried in order, that decide what a failed pod means —
/// fail the whole Job at once, fail only its index, ignore it (not counted towards backoffLimit),
/// or count it as usual. A failed pod no rule matches is counted.
public struct PodFailurePolicy: Sendable, Equatable, JSONDecodable {
    public enum Action: String, Sendable {
        case failJob = "FailJob"
        case failIndex = "FailIndex"
        case ignore = "Ignore"
        case count = "Count"
    }

    public struct Rule: Sendable, Equatable, JSONDecodable {
        public let action: Action
        public let onExitCodes: ExitCodes?
        public let onPodConditions: [ConditionPattern]

        public init(json: JSONField) throws(JSONShapeError) {
            action = try json.choice("action", default: .count)
            onExitCodes = try json.optional("onExitCodes")
            onPodConditions = try json.field("onPodConditions", default: [])
        }
    }

    /// Matches a container that exited with a non-zero code In (or NotIn) `values`.
    public struct ExitCodes: Sendable, Equatable, JSONDecodable {
        public let containerName: String?
        /// true for "In", false for "NotIn".
        public let isIn: Bool
        public let values: [Int32]

        public init(json: JSONField) throws(JSONShapeError) {
            containerName = try json.optional("containerName")
            let op = try json.field("operator", default: "In")
            guard op == "In" || op == "NotIn" else { throw JSONShapeError(path: "\(json.path).operator", problem: "unsupported value \"\(op)\"") }
            isIn = op == "In"
            values = try json.field("values", default: [])
        }
    }

    /// Matches a pod condition of `type` with `status` (default "True").
    public struct ConditionPattern: Sendable, Equatable, JSONDecodable {
        public let type: String
        public let status: String

        public init(json: JSONField) throws(JSONShapeError) {
            type = try json.required("type")
            status = try json.field("status", default: "True")
        }
    }

    public let rules: [Rule]

    public init(json: JSONField) throws(JSONShapeError) { rules = try json.field("rules", default: []) }

    /// What the policy makes of a failed pod: the first matching rule's action and its index, and a
    /// message naming why; nil when no rule matches (the failure counts).
    public func match(_ pod: Pod) -> (action: Action, rule: Int, message: String)? {
        let exits = pod.terminatedContainers
        for (index, rule) in rules.enumerated() {
            if let codes = rule.onExitCodes {
                let hit = exits.first { exit in
                    // A container that exited 0 did not fail; it never matches (as Kubernetes).
                    exit.exitCode != 0 && (codes.containerName == nil || codes.containerName == exit.name)
                        && codes.values.contains(exit.exitCode) == codes.isIn
                }
                if let hit {
                    return (
                        rule.action, index,
                        "Container \(hit.name) for pod \(pod.key) failed with exit code \(hit.exitCode) matching \(rule.action.rawValue) rule at index \(index)"
                    )
                }
            } else if let pattern = rule.onPodConditions.first(where: { pattern in pod.status.condition(pattern.type)?.status == pattern.status }) {
                return (rule.action, index, "Pod \(pod.key) has condition \(pattern.type) matching \(rule.action.rawValue) rule at index \(index)")
            }
        }
        return nil
    }
}

extension Pod {
    /// A container (or init container) that has terminated, with its exit code.
    public struct TerminatedContainer: Sendable, Equatable {
        public let name: String
        public let exitCode: Int32
        /// When it ended (RFC 3339), if reported.
        public let finishedAt: String?
    }

    /// The terminated containers in the pod's status, init containers first.
    public var terminatedContainers: [TerminatedContainer] {
        let statuses = (json["status"]["initContainerStatuses"].array ?? []) + (json["status"]["containerStatuses"].array ?? [])
        return statuses.compactMap { status in
            let terminated = status["state"]["terminated"]
            guard let code = terminated["exitCode"].int else { return nil }
            return TerminatedContainer(
                name: status["name"].string ?? "", exitCode: Int32(truncatingIfNeeded: code), finishedAt: terminated["finishedAt"].string)
        }
    }

    /// `metadata.finalizers`.
    public var finalizers: [String] { (json["metadata"]["finalizers"].array ?? []).compactMap(\.string) }
}
