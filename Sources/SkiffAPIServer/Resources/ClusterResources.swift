import SkiffAPI

/// coordination, discovery and metrics kinds.
enum ClusterResources {
    static let lease = ResourceDefinition(
        group: "coordination.k8s.io", kind: "Lease", plural: "leases",
        columns: [.text("Holder") { $0["spec"]["holderIdentity"].string ?? "" }, .age],
        topLevelFields: ["spec"])

    static let endpointSlice = ResourceDefinition(
        group: "discovery.k8s.io", kind: "EndpointSlice", plural: "endpointslices",
        columns: [
            .text("AddressType") { $0["addressType"].string ?? "" },
            .text("Ports") { slice in
                Columns.none((slice["ports"].array ?? []).compactMap { $0["port"].int.map(String.init) }.joined(separator: ","))
            },
            .text("Endpoints") { slice in
                Columns.none((slice["endpoints"].array ?? []).flatMap { ($0["addresses"].array ?? []).compactMap(\.string) }.joined(separator: ","))
            },
            .age,
        ],
        topLevelFields: ["addressType", "endpoints", "ports"],
        validate: { slice, validator in
            validator.string(slice["addressType"], "addressType", required: true, oneOf: ["IPv4", "IPv6", "FQDN"])
        })

    static let nodeMetrics = ResourceDefinition(
        group: "metrics.k8s.io", version: "v1beta1", kind: "NodeMetrics", plural: "nodes", namespaced: false,
        columns: [
            .text("CPU") { $0["usage"]["cpu"].string ?? "" }, .text("Memory") { $0["usage"]["memory"].string ?? "" },
            .text("Window") { $0["window"].string ?? "" },
        ],
        topLevelFields: ["timestamp", "window", "usage"], readOnly: true)

    static let podMetrics = ResourceDefinition(
        group: "metrics.k8s.io", version: "v1beta1", kind: "PodMetrics", plural: "pods",
        columns: [.text("Window") { $0["window"].string ?? "" }],
        topLevelFields: ["timestamp", "window", "containers"], readOnly: true)
}
