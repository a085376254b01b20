import SkiffAPI

/// What happens to an object's dependents (objects naming it in `ownerReferences`) when it is
/// deleted; `DeleteOptions.propagationPolicy`. The garbage collector carries it out.
public enum PropagationPolicy: String, Sendable {
    /// Dependents lose the owner reference and stay; the owner waits for that (`orphan` finalizer).
    case orphan = "Orphan"
    /// The owner goes at once and the garbage collector deletes the dependents afterwards.
    case background = "Background"
    /// Dependents go first; the owner stays (`foregroundDeletion` finalizer) until those with
    /// `blockOwnerDeletion: true` are gone.
    case foreground = "Foreground"

    /// The finalizer that holds the owner while the garbage collector works.
    var finalizer: String? {
        switch self {
        case .orphan: "orphan"
        case .foreground: "foregroundDeletion"
        case .background: nil
        }
    }

    /// From DeleteOptions (body) or the query; `orphanDependents` is the deprecated boolean form.
    /// Background is the default for every kind skiff serves (only pre-apps/v1 kinds defaulted to Orphan).
    init(options: JSON, query: [String: String]) throws {
        let orphanDependents = options["orphanDependents"].bool ?? query["orphanDependents"].map { $0 == "true" }
        let named = options["propagationPolicy"].string ?? query["propagationPolicy"]
        if let named {
            guard let policy = PropagationPolicy(rawValue: named) else {
                throw APIError.invalid(
                    kind: "DeleteOptions", name: "",
                    causes: [
                        ("propagationPolicy", "Unsupported value: \"\(named)\": supported values: \"Foreground\", \"Background\", \"Orphan\"")
                    ])
            }
            if orphanDependents != nil {
                throw APIError.invalid(
                    kind: "DeleteOptions", name: "",
                    causes: [
                        ("propagationPolicy", "Invalid value: \"\(named)\": orphanDependents and deletionPropagation cannot be both set")
                    ])
            }
            self = policy
        } else {
            self = orphanDependents == true ? .orphan : .background
        }
    }
}
