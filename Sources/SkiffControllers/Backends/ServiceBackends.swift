import SkiffAPI

/// Which pods back a Service and how, the rules both endpoint controllers share
/// (kube-controller-manager's `ShouldPodBeInEndpoints`, `podToEndpoint` and `FindPort`).
public enum ServiceBackends {
    /// The backends of `service` among `pods` (any namespace; only the Service's own is used),
    /// sorted by address, and the named ports that did not resolve. A pod is left out while it
    /// has no IPv4 address, has finished (Succeeded or Failed), is terminating and
    /// `includeTerminating` is false, or resolves none of the Service's ports.
    public static func of(_ service: KubeService, pods: [Pod], includeTerminating: Bool) -> (backends: [ServiceBackend], unresolved: [UnresolvedPort]) {
        guard let selector = service.spec.selector else { return ([], []) }
        var backends: [ServiceBackend] = []
        var unresolved: [UnresolvedPort] = []
        for pod in pods where pod.namespace == service.metadata.namespace && selects(selector, pod.labels) {
            // Only IPv4 slices are written (the cluster is single-stack).
            guard let address = pod.status.podIP, !address.isEmpty, !address.contains(":") else { continue }
            if pod.status.phase?.isFinal == true { continue }
            let terminating = pod.isBeingDeleted
            if terminating && !includeTerminating { continue }
            let reference = ObjectReference(kind: "Pod", namespace: pod.namespace, name: pod.name, uid: pod.uid)
            var ports: [EndpointPort] = []
            for servicePort in service.spec.ports {
                guard let number = resolve(servicePort, in: pod) else {
                    if case .string(let name) = servicePort.targetPort {
                        unresolved.append(UnresolvedPort(pod: reference, servicePort: servicePort.name, targetPort: name))
                    }
                    continue
                }
                ports.append(EndpointPort(name: servicePort.name, protocol: servicePort.protocol, port: number))
            }
            if ports.isEmpty && !service.spec.ports.isEmpty { continue }
            let podReady = pod.status.condition("Ready")?.status == "True"
            // A terminating pod is never ready, so new connections go elsewhere, unless the
            // Service publishes not-ready addresses anyway (StatefulSet peers finding each other).
            let ready = service.spec.publishNotReadyAddresses || (podReady && !terminating)
            let hostname = pod.spec.hostname.flatMap { !$0.isEmpty && pod.spec.subdomain == service.metadata.name ? $0 : nil }
            backends.append(
                ServiceBackend(
                    address: address, ready: ready, serving: podReady, terminating: terminating, hostname: hostname,
                    nodeName: pod.spec.nodeName.flatMap { $0.isEmpty ? nil : $0 }, pod: reference, ports: ports))
        }
        backends.sort { ($0.address, $0.pod.name) < ($1.address, $1.pod.name) }
        return (backends, unresolved)
    }

    /// A Service selector selects a pod when every one of its labels matches (an empty
    /// selector selects every pod in the namespace).
    public static func selects(_ selector: [String: String], _ labels: [String: String]) -> Bool {
        selector.allSatisfy { labels[$0.key] == $0.value }
    }

    /// The container port a Service port sends to: a number as is, a name looked up among the
    /// pod's containers' ports of the same protocol.
    static func resolve(_ servicePort: ServicePort, in pod: Pod) -> Int32? {
        switch servicePort.targetPort {
        case .int(let number): return number
        case .string(let name):
            for container in pod.spec.containers {
                if let port = container.ports.first(where: { $0.name == name && $0.protocol == servicePort.protocol }) { return port.containerPort }
            }
            return nil
        }
    }
}
