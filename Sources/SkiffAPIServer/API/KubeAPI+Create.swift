import Foundation
import SkiffAPI
import SkiffStore

extension KubeAPI {
    func create(_ target: Target, _ request: APIRequest) async throws -> APIResponse {
        var warnings: [String] = []
        let body = try Self.parseBody(request)
        var object = try checkedBody(body, target: target, request: request, warnings: &warnings)
        FieldOwnership.recordUpdate(manager: Self.fieldManager(request), before: nil, after: &object)
        let created = try await createObject(object, target: target, dryRun: request.query["dryRun"] == "All")
        return withWarnings(.json(created, status: 201), warnings)
    }

    /// Kind/apiVersion/namespace checks and unknown-field handling (`fieldValidation`) of a body.
    func checkedBody(_ body: JSON, target: Target, request: APIRequest, warnings: inout [String]) throws -> JSON {
        guard body.object != nil else { throw APIError.badRequest("the request body must be a JSON object, not \(body.typeName)") }
        var object = body
        let definition = target.definition
        if let kind = object["kind"].string, kind != definition.kind {
            throw APIError.badRequest(
                "the kind in the data (\(kind)) does not match the expected kind (\(definition.kind)) for \(definition.naming.qualifiedPlural)")
        }
        if let apiVersion = object["apiVersion"].string, apiVersion != definition.naming.apiVersion {
            throw APIError.badRequest("the API version in the data (\(apiVersion)) does not match the expected API version (\(definition.naming.apiVersion))")
        }
        if !object["metadata"].isNull && object["metadata"].object == nil {
            throw APIError.badRequest("metadata must be an object")
        }
        object["kind"] = .string(definition.kind)
        object["apiVersion"] = .string(definition.naming.apiVersion)
        if definition.namespaced {
            if let namespace = object["metadata"]["namespace"].string, !namespace.isEmpty, let urlNamespace = target.namespace, namespace != urlNamespace {
                throw APIError.badRequest("the namespace of the provided object does not match the namespace sent on the request")
            }
            if let urlNamespace = target.namespace { object["metadata"]["namespace"] = .string(urlNamespace) }
        } else {
            object["metadata"]["namespace"] = .null
        }
        let unknown = UnknownFields.find(in: &object, definition: definition)
        if !unknown.isEmpty {
            switch request.query["fieldValidation"] ?? "Warn" {
            case "Strict":
                let list = unknown.map { "unknown field \"\($0)\"" }.joined(separator: ", ")
                throw APIError.badRequest("strict decoding error: \(list)")
            case "Ignore": break
            default: warnings += unknown.map { "unknown field \"\($0)\"" }
            }
        }
        return object
    }

    func withWarnings(_ response: APIResponse, _ warnings: [String]) -> APIResponse {
        var response = response
        for warning in warnings { response.headers.append(("Warning", "299 - \"\(warning.replacingOccurrences(of: "\"", with: "\\\""))\"")) }
        return response
    }

    /// Fills server-owned metadata, defaults, validates and stores a new object.
    func createObject(_ body: JSON, target: Target, dryRun: Bool = false) async throws -> JSON {
        let definition = target.definition
        var object = body
        // Objects the server makes itself (default namespaces, the kubernetes Service) carry no
        // type; every stored object must, or single-object GETs come back without a kind.
        if object["kind"].string == nil { object["kind"] = .string(definition.kind) }
        if object["apiVersion"].string == nil { object["apiVersion"] = .string(definition.naming.apiVersion) }
        var metadata = object["metadata"]
        if (metadata["name"].string ?? "").isEmpty {
            guard let generateName = metadata["generateName"].string, !generateName.isEmpty else {
                throw APIError.invalid(kind: definition.kind, name: "", causes: [("metadata.name", "Required value: name or generateName is required")])
            }
            metadata["name"] = .string(generateName + Self.randomSuffix())
        }
        let name = metadata["name"].string ?? ""
        if let urlName = target.name, urlName != name {
            throw APIError.badRequest("the name of the object (\(name)) does not match the name on the URL (\(urlName))")
        }
        if definition.namespaced {
            let namespace = metadata["namespace"].string ?? ""
            guard !namespace.isEmpty else { throw APIError.badRequest("a namespace is required to create \(definition.plural)") }
            if try await namespaceIsTerminating(namespace) {
                throw APIError.forbidden("unable to create new content in namespace \(namespace) because it is being terminated")
            }
        }
        metadata["uid"] = .string(UUID().uuidString.lowercased())
        metadata["creationTimestamp"] = .string(Timestamp.now())
        metadata["resourceVersion"] = .null
        metadata["deletionTimestamp"] = .null
        metadata["deletionGracePeriodSeconds"] = .null
        metadata["selfLink"] = .null
        metadata["generation"] = definition.tracksGeneration ? 1 : .null
        object["metadata"] = metadata
        // Status belongs to its subresource, except that a registering Node reports its status at once.
        if definition.hasStatus && definition.kind != "Node" { object["status"] = .null }
        definition.defaults(&object)
        if definition.kind == "Namespace" {
            // As Kubernetes' namespace strategy: the namespace controller's finalizer, always.
            object["spec"]["finalizers"] = [.string(Self.namespaceFinalizer)]
        }
        if definition.kind == "PersistentVolumeClaim" { try await admitClaim(&object) }
        if definition.kind == "Pod" {
            if serviceAccountAdmission { try await admitServiceAccount(&object) }
            defaultTolerationSeconds.admit(&object)
        }
        try validate(object, definition)
        if definition.kind == "Service" { try await allocateServiceAddresses(&object) }
        var podCIDR: PodCIDRAssignment?
        if definition.kind == "Node" { podCIDR = try await assignPodCIDR(&object) }
        if dryRun {
            if let podCIDR { await settlePodCIDR(podCIDR, node: object, revision: nil) }
            return object
        }
        let key = definition.key(namespace: metadata["namespace"].string, name: name)
        let revision: Int64
        do {
            revision = try await store.create(key, value: Self.encodeForStore(object, as: definition))
        } catch {
            if let podCIDR { await settlePodCIDR(podCIDR, node: object, revision: nil) }
            throw Self.map(error, definition, name: name)
        }
        object["metadata"]["resourceVersion"] = .string(String(revision))
        if let podCIDR { await settlePodCIDR(podCIDR, node: object, revision: revision) }
        return object
    }

    /// Whether a namespace takes no new objects; throws NotFound when there is no such namespace.
    func namespaceIsTerminating(_ namespace: String) async throws -> Bool {
        if let terminating = namespaces.isTerminating(namespace) { return terminating }
        guard let stored = try await storeGet(CoreResources.namespace.key(namespace: nil, name: namespace)) else {
            throw APIError.notFound(CoreResources.namespace.naming, name: namespace)
        }
        return NamespaceCache.terminating(try decode(stored))
    }

    /// Common metadata rules plus the kind's own validation; throws 422 with every cause.
    func validate(_ object: JSON, _ definition: ResourceDefinition) throws {
        var validator = Validator()
        let metadata = object["metadata"]
        let name = metadata["name"].string ?? ""
        if let problem = definition.nameProblem(name) {
            validator.fail("metadata.name", "Invalid value: \"\(name)\": \(problem)")
        }
        validator.stringMap(metadata["labels"], "metadata.labels", labels: true)
        validator.stringMap(metadata["annotations"], "metadata.annotations", labels: false)
        let annotationBytes = (metadata["annotations"].object ?? [:]).reduce(0) { $0 + $1.key.utf8.count + ($1.value.string?.utf8.count ?? 0) }
        if annotationBytes > 256 * 1024 { validator.fail("metadata.annotations", "Too long: must have at most 262144 bytes") }
        for (index, finalizer) in (metadata["finalizers"].array ?? []).enumerated() where finalizer.string == nil {
            validator.fail("metadata.finalizers[\(index)]", "Invalid value: must be a string")
        }
        for (index, owner) in (metadata["ownerReferences"].array ?? []).enumerated() {
            for field in ["apiVersion", "kind", "name", "uid"] {
                validator.string(owner[field], "metadata.ownerReferences[\(index)].\(field)", required: true)
            }
        }
        definition.validate(object, &validator)
        if !validator.causes.isEmpty { throw APIError.invalid(kind: definition.kind, name: name, causes: validator.causes) }
    }

    /// ClusterIP (10.43.0.0/16) and NodePort (30000–32767) allocation for a new Service.
    func allocateServiceAddresses(_ service: inout JSON) async throws {
        let existing = try await store.list(prefix: CoreResources.service.prefix(namespace: nil), startAfter: nil, limit: nil, revision: nil)
        let others = try existing.items.map(decode)
        let type = service["spec"]["type"].string ?? "ClusterIP"
        if type != "ExternalName", (service["spec"]["clusterIP"].string ?? "").isEmpty {
            let used = Set(others.compactMap { $0["spec"]["clusterIP"].string })
            // .1 is the kubernetes Service's and .10 the cluster DNS address (k3s's layout).
            var candidate = 11
            while used.contains("10.43.\(candidate / 256).\(candidate % 256)") && candidate < 65_000 { candidate += 1 }
            let address = "10.43.\(candidate / 256).\(candidate % 256)"
            service["spec"]["clusterIP"] = .string(address)
            service["spec"]["clusterIPs"] = [.string(address)]
        }
        if type != "ExternalName" {
            if service["spec"]["ipFamilies"].isNull { service["spec"]["ipFamilies"] = ["IPv4"] }
            if service["spec"]["ipFamilyPolicy"].isNull { service["spec"]["ipFamilyPolicy"] = "SingleStack" }
            if service["spec"]["internalTrafficPolicy"].isNull { service["spec"]["internalTrafficPolicy"] = "Cluster" }
        }
        if type == "NodePort" || type == "LoadBalancer", var ports = service["spec"]["ports"].array {
            var used = Self.nodePortsInUse(by: others, except: nil)
            try Self.checkNodePortsFree(service, used: used)
            var next: Int64 = 30000
            for index in ports.indices where ports[index]["nodePort"].isNull {
                while used.contains(next) { next += 1 }
                ports[index]["nodePort"] = .int(next)
                used.insert(next)
            }
            service["spec"]["ports"] = .array(ports)
        }
    }

    /// The nodePorts `services` hold, leaving out the Service with uid `except` (the one being updated).
    static func nodePortsInUse(by services: [JSON], except uid: String?) -> Set<Int64> {
        Set(
            services.filter { uid == nil || $0["metadata"]["uid"].string != uid }
                .flatMap { ($0["spec"]["ports"].array ?? []).compactMap { $0["nodePort"].int } })
    }

    /// A nodePort is one listening port on every node: two Services cannot share it (422, as
    /// Kubernetes' allocator answers).
    static func checkNodePortsFree(_ service: JSON, used: Set<Int64>) throws {
        var causes: [(field: String, message: String)] = []
        for (index, port) in (service["spec"]["ports"].array ?? []).enumerated() {
            guard let nodePort = port["nodePort"].int, nodePort != 0, used.contains(nodePort) else { continue }
            causes.append(("spec.ports[\(index)].nodePort", "Invalid value: \(nodePort): provided port is already allocated"))
        }
        if !causes.isEmpty { throw APIError.invalid(kind: "Service", name: service["metadata"]["name"].string ?? "", causes: causes) }
    }

    /// An update that adds or changes a nodePort must not take one another Service holds.
    func checkNodePortUpdate(current: JSON, next: JSON) async throws {
        let before = Set((current["spec"]["ports"].array ?? []).compactMap { $0["nodePort"].int })
        let after = Set((next["spec"]["ports"].array ?? []).compactMap { $0["nodePort"].int })
        guard !after.subtracting(before).isEmpty else { return }
        let existing = try await store.list(prefix: CoreResources.service.prefix(namespace: nil), startAfter: nil, limit: nil, revision: nil)
        try Self.checkNodePortsFree(next, used: Self.nodePortsInUse(by: try existing.items.map(decode), except: current["metadata"]["uid"].string))
    }
}
