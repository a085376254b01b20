import SkiffAPI

extension PropagationPolicy {
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
