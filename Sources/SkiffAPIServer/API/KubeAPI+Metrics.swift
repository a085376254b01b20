import SkiffAPI
import SkiffNodeAPI

extension KubeAPI {
    /// metrics.k8s.io/v1beta1 nodes and pods, built from the Ready nodes' `/stats/summary` as
    /// metrics-server does (CPU in nanocores, memory as working set in KiB).
    func metrics(_ target: Target, _ request: APIRequest) async throws -> APIResponse {
        guard request.method == "GET", !request.flag("watch") else {
            throw APIError.methodNotAllowed("the server does not allow this method on the requested resource")
        }
        let selection = try selection(target, request)
        let nodes = try await store.list(prefix: CoreResources.node.prefix(namespace: nil), startAfter: nil, limit: nil, revision: nil).items.map(decode)
        let summaries = await nodeSummaries(nodes)
        let now = Timestamp.now()
        var items: [JSON] = []
        if target.definition.kind == "NodeMetrics" {
            for node in nodes {
                guard let name = node["metadata"]["name"].string, let summary = summaries[name] else { continue }
                let stats = summary["node"]
                items.append([
                    "metadata": ["name": .string(name), "creationTimestamp": .string(now), "labels": node["metadata"]["labels"]],
                    "timestamp": .string(stats["cpu"]["time"].string ?? now), "window": "15s",
                    "usage": Self.usage(stats),
                ])
            }
        } else {
            var statsByPod: [String: JSON] = [:]
            for summary in summaries.values {
                for pod in summary["pods"].array ?? [] {
                    let reference = pod["podRef"]
                    statsByPod["\(reference["namespace"].string ?? "")/\(reference["name"].string ?? "")"] = pod
                }
            }
            let pods = try await store.list(prefix: CoreResources.pod.prefix(namespace: target.namespace), startAfter: nil, limit: nil, revision: nil)
            for stored in pods.items {
                let pod = try decode(stored)
                let namespace = pod["metadata"]["namespace"].string ?? ""
                let name = pod["metadata"]["name"].string ?? ""
                guard let stats = statsByPod["\(namespace)/\(name)"] else { continue }
                let containers: [JSON] = (stats["containers"].array ?? []).map { ["name": $0["name"], "usage": Self.usage($0)] }
                items.append([
                    "metadata": [
                        "name": .string(name), "namespace": .string(namespace), "creationTimestamp": .string(now),
                        "labels": pod["metadata"]["labels"],
                    ],
                    "timestamp": .string(stats["cpu"]["time"].string ?? now), "window": "15s", "containers": .array(containers),
                ])
            }
        }
        items = items.filter(selection.matches)
        if let name = target.name {
            guard let item = items.first(where: { $0["metadata"]["name"].string == name }) else {
                throw APIError.notFound(target.definition.naming, name: name)
            }
            if request.wantsTable { return .json(table(target.definition, objects: [item], request: request, listMeta: .emptyObject)) }
            return .json(Self.typed(item, target.definition))
        }
        if request.wantsTable { return .json(table(target.definition, objects: items, request: request, listMeta: .emptyObject)) }
        return .json([
            "kind": .string("\(target.definition.kind)List"), "apiVersion": .string(target.definition.naming.apiVersion), "metadata": .emptyObject,
            "items": .array(items.map { Self.typed($0, target.definition) }),
        ])
    }

    static func typed(_ item: JSON, _ definition: ResourceDefinition) -> JSON {
        var item = item
        item["kind"] = .string(definition.kind)
        item["apiVersion"] = .string(definition.naming.apiVersion)
        return item
    }

    /// `{cpu: "<nanocores>n", memory: "<working set / 1024>Ki"}` from a summary's cpu/memory stats.
    static func usage(_ stats: JSON) -> JSON {
        let nanocores = stats["cpu"]["usageNanoCores"].int ?? 0
        let workingSet = stats["memory"]["workingSetBytes"].int ?? 0
        return ["cpu": .string("\(nanocores)n"), "memory": .string("\(workingSet / 1024)Ki")]
    }

    /// Stats summaries of the Ready nodes with a reachable agent, fetched in parallel.
    func nodeSummaries(_ nodes: [JSON]) async -> [String: JSON] {
        var endpoints: [NodeEndpoint] = []
        for node in nodes {
            let ready = (node["status"]["conditions"].array ?? []).contains { $0["type"].string == "Ready" && $0["status"].string == "True" }
            guard ready else { continue }
            do {
                endpoints.append(try nodeEndpoint(node))
            } catch {
                logger.info("no metrics from node", metadata: ["node": "\(node["metadata"]["name"].string ?? "")", "reason": "\(error)"])
            }
        }
        let proxy = nodeProxy
        let logger = self.logger
        return await withTaskGroup(of: (String, JSON?).self) { group in
            for endpoint in endpoints {
                group.addTask { (endpoint.nodeName, await proxy.summary(endpoint, logger: logger)) }
            }
            var result: [String: JSON] = [:]
            for await (name, summary) in group { if let summary { result[name] = summary } }
            return result
        }
    }
}
