import SkiffAPI

/// The subsets of a legacy Endpoints object: backends grouped by the ports they serve, ready
/// ones in `addresses`, the others in `notReadyAddresses` (Kubernetes' `RepackSubsets`).
public enum EndpointSubsets {
    /// `backends` come sorted by address, so the subsets and their addresses are in a stable order.
    public static func of(_ backends: [ServiceBackend]) -> [EndpointSubset] {
        var subsets: [EndpointSubset] = []
        var index: [[EndpointPort]: Int] = [:]
        for backend in backends {
            let address = EndpointAddress(ip: backend.address, hostname: backend.hostname, nodeName: backend.nodeName, targetRef: backend.pod)
            let position =
                index[backend.ports]
                ?? {
                    subsets.append(EndpointSubset(addresses: [], notReadyAddresses: [], ports: backend.ports))
                    index[backend.ports] = subsets.count - 1
                    return subsets.count - 1
                }()
            if backend.ready {
                subsets[position].addresses.append(address)
            } else {
                subsets[position].notReadyAddresses.append(address)
            }
        }
        return subsets
    }
}
