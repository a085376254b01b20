import SkiffAPI

/// What one EndpointSlice the controller manages should hold: the part it compares with the
/// slice it has, to write only what changed.
public struct SliceContent: Sendable, Equatable {
    public var ports: [EndpointPort]
    /// Sorted by address, so equal sets compare equal.
    public var endpoints: [Endpoint]
    public var labels: [String: String]

    public init(ports: [EndpointPort], endpoints: [Endpoint], labels: [String: String]) {
        self.ports = ports
        self.endpoints = endpoints
        self.labels = labels
    }

    /// Whether `slice` already holds exactly this (its endpoints in any order).
    func matches(_ slice: EndpointSlice) -> Bool {
        slice.addressType == "IPv4" && slice.ports == ports && slice.metadata.labels == labels && SlicePlan.sorted(slice.endpoints) == endpoints
    }
}
