extension JSON {
    /// An object from key/value pairs whose nil values are left out, as Go's `omitempty` does.
    /// Pairs keep call sites in the order a document reads; a repeated key keeps its last non-nil value.
    public init(omittingNils members: [(String, JSON?)]) {
        var dictionary: [String: JSON] = [:]
        dictionary.reserveCapacity(members.count)
        for (key, value) in members {
            if let value { dictionary[key] = value }
        }
        self = .object(dictionary)
    }
}
