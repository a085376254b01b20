import SkiffAPI

/// The writes that turn a Service's managed slices into what its backends call for: the
/// endpointslice controller's reconciler in small. Endpoints are grouped by their port set
/// (pods whose named ports resolve to different numbers need different slices), at most
/// `maxEndpoints` per slice. An endpoint stays in the slice it is in while it still belongs to
/// that port set, so one pod changing rewrites one slice; new endpoints fill slices with room
/// before new slices are made. A Service with no endpoints keeps one empty slice, as
/// Kubernetes' placeholder, so "no endpoints" is distinguishable from "not yet reconciled".
public struct SlicePlan: Sendable, Equatable {
    public var creates: [SliceContent] = []
    public var updates: [Update] = []
    public var deletes: [EndpointSlice] = []

    public struct Update: Sendable, Equatable {
        public let slice: EndpointSlice
        public let content: SliceContent
    }

    /// Kubernetes' default `--max-endpoints-per-slice`.
    public static let defaultMaxEndpoints = 100

    public var isEmpty: Bool { creates.isEmpty && updates.isEmpty && deletes.isEmpty }

    /// Plans the writes for `existing` (the slices this controller manages for the Service: same
    /// namespace, its service-name label, owned by it) given `backends`, labelling every slice
    /// with `labels`.
    public init(existing: [EndpointSlice], backends: [ServiceBackend], labels: [String: String], maxEndpoints: Int = SlicePlan.defaultMaxEndpoints) {
        // Port sets in the order their first backend appears, each with its endpoints by address.
        var portSets: [[EndpointPort]] = []
        var grouped: [[EndpointPort]: [String: Endpoint]] = [:]
        for backend in backends {
            if grouped[backend.ports] == nil { portSets.append(backend.ports) }
            grouped[backend.ports, default: [:]][backend.address] = backend.endpoint
        }
        if portSets.isEmpty {
            portSets = [[]]
            grouped[[]] = [:]
        }
        var unclaimed = existing.sorted { $0.metadata.name < $1.metadata.name }
        for ports in portSets {
            let wanted = grouped[ports] ?? [:]
            let candidates = unclaimed.filter { $0.ports == ports }
            unclaimed.removeAll { $0.ports == ports }
            // Endpoints keep their slice; the rest fill slices with room, then new ones.
            var placed: Set<String> = []
            var kept: [[Endpoint]] = candidates.map { slice in
                slice.endpoints.compactMap { endpoint in
                    guard let address = endpoint.addresses.first, let now = wanted[address], placed.insert(address).inserted else { return nil }
                    return now
                }
            }
            var waiting = wanted.keys.filter { !placed.contains($0) }.sorted().compactMap { wanted[$0] }
            for index in kept.indices where kept[index].count < maxEndpoints && !waiting.isEmpty {
                let room = min(maxEndpoints - kept[index].count, waiting.count)
                kept[index] += waiting.prefix(room)
                waiting.removeFirst(room)
            }
            let keepEmpty = wanted.isEmpty
            for (slice, endpoints) in zip(candidates, kept) {
                if endpoints.isEmpty && (!keepEmpty || slice.metadata.name != candidates.first?.metadata.name) {
                    deletes.append(slice)
                    continue
                }
                let content = SliceContent(ports: ports, endpoints: Self.sorted(endpoints), labels: labels)
                if !content.matches(slice) { updates.append(Update(slice: slice, content: content)) }
            }
            while !waiting.isEmpty {
                let chunk = Array(waiting.prefix(maxEndpoints))
                waiting.removeFirst(chunk.count)
                creates.append(SliceContent(ports: ports, endpoints: Self.sorted(chunk), labels: labels))
            }
            if keepEmpty && candidates.isEmpty { creates.append(SliceContent(ports: ports, endpoints: [], labels: labels)) }
        }
        // Slices for port sets no backend has any more.
        deletes += unclaimed
    }

    static func sorted(_ endpoints: [Endpoint]) -> [Endpoint] {
        endpoints.sorted { ($0.addresses.first ?? "") < ($1.addresses.first ?? "") }
    }
}
