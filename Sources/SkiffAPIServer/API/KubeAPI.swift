import Foundation
import Logging
import SkiffAPI
import SkiffStore

/// The Kubernetes REST API over a `Store`: routing, authentication and authorization, then the
/// verb handlers in the `KubeAPI+*.swift` files. Independent of the HTTP library so tests can call
/// `handle` directly.
public struct KubeAPI: Sendable {
    public let store: any Store
    public let registry: ResourceRegistry
    public let authenticator: Authenticator
    public let logger: Logger
    /// Largest accepted request body (Kubernetes uses 3 MiB).
    public static let maximumBodySize = 3 * 1024 * 1024
    /// How often a watch that asked for bookmarks gets one.
    public var bookmarkInterval: Duration = .seconds(10)
    /// How many agent requests are served at once (`--max-requests-inflight`).
    public var requestLimit = RequestLimit()
    /// The not-ready and unreachable tolerations a new pod gets (DefaultTolerationSeconds admission).
    public var defaultTolerationSeconds = DefaultTolerationSeconds()
    /// Whether pods get a ServiceAccount and its token volume when created (`ServiceAccountAdmission`);
    /// off for an API without the controllers that make the `default` ServiceAccounts.
    public var serviceAccountAdmission = false
    /// `/cacerts` and `/skiff/v1/join` for servers joining an HA cluster (nil: not offered).
    public var clusterJoin: ClusterJoinEndpoint?
    /// Watches' one store watch per resource; serves while `WatchCacheService` runs.
    public var watchCache = WatchCache()
    /// Calls to the agents' node API (pods/log, pods/exec, metrics).
    public let nodeProxy: NodeProxy
    let podCIDRAllocator: PodCIDRAllocator
    /// RBAC's index of roles and bindings; decides while `RBACAuthorizerService` runs.
    let rbac = RBACAuthorizer()
    /// Namespace existence and phase for creates; answers only while `NamespaceCacheService` runs.
    let namespaces = NamespaceCache()
    /// Pods' and ServiceAccounts' uids for bound tokens; answers while `BoundObjectCacheService` runs.
    let boundObjects = BoundObjectCache()
    /// Recently stored objects, parsed once for every watch and read of them.
    let decodedObjects = DecodedObjects()
    /// Recent watch event lines, serialized once for every watcher they are sent to.
    let encodedEvents = EncodedWatchEvents()

    public init(
        store: any Store, registry: ResourceRegistry = .standard, authenticator: Authenticator, nodeProxy: NodeProxy = NodeProxy(),
        podCIDRAllocator: PodCIDRAllocator? = nil, logger: Logger = Logger(label: "skiff.api")
    ) {
        self.podCIDRAllocator = podCIDRAllocator ?? PodCIDRAllocator()
        self.store = store
        self.registry = registry
        self.authenticator = authenticator
        self.nodeProxy = nodeProxy
        self.logger = logger
    }

    /// A request for one resource type, parsed from the URL.
    struct Target {
        let definition: ResourceDefinition
        let namespace: String?
        let name: String?
        let subresource: String?
    }

    public func handle(_ request: APIRequest) async -> APIResponse {
        do {
            return try await route(request)
        } catch let error as APIError {
            return .error(error)
        } catch {
            logger.error("request failed", metadata: ["path": "\(request.path)", "error": "\(error)"])
            return .error(.internalError("\(error)"))
        }
    }

    func route(_ request: APIRequest) async throws -> APIResponse {
        let segments = request.path.split(separator: "/").map(String.init)
        if let first = segments.first, ["healthz", "livez", "readyz"].contains(first) { return .text("ok") }
        if segments == ["version"] { return .json(Self.version) }
        if let joined = try await clusterJoinRoute(request, segments: segments) { return joined }
        guard let authenticated = try await identify(request) else {
            throw APIError.unauthorized
        }
        let identity = try await impersonated(authenticated, request)
        let limited = !identity.isPrivileged
        if limited {
            guard requestLimit.enter() else { return RequestLimit.overloaded }
        }
        defer { if limited { requestLimit.leave() } }
        if let review = try await accessReview(request, identity: identity, segments: segments) { return review }
        if let review = try await selfSubjectReview(request, identity: identity, segments: segments) { return review }
        if case .user(let user) = identity, !user.isPrivileged, !Self.isResourcePath(segments) {
            try await authorize(AuthorizationAttributes(user: user, verb: request.method.lowercased(), target: .path(request.path)))
        }
        switch segments.first {
        case nil: return .json(["paths": .array(rootPaths.map { .string($0) })])
        case "openapi": return try openAPI(segments: Array(segments.dropFirst()))
        case "api":
            if segments.count == 1 { return discoveryRoot(legacy: true, request) }
            if segments.count == 2 { return try resourceList(group: "", version: segments[1]) }
            return try await resource(request, identity: identity, group: "", version: segments[1], rest: Array(segments.dropFirst(2)))
        case "apis":
            if segments.count == 1 { return discoveryRoot(legacy: false, request) }
            if segments.count == 2 { return try groupDocument(segments[1]) }
            if segments.count == 3 { return try resourceList(group: segments[1], version: segments[2]) }
            return try await resource(request, identity: identity, group: segments[1], version: segments[2], rest: Array(segments.dropFirst(3)))
        default:
            if let document = serviceAccountIssuerDocument(segments) { return document }
            throw Self.pathNotFound
        }
    }

    /// Paths under a group version (`/api/v1/pods`), as opposed to discovery and other paths.
    static func isResourcePath(_ segments: [String]) -> Bool {
        (segments.first == "api" && segments.count >= 3) || (segments.first == "apis" && segments.count >= 4)
    }

    static let pathNotFound = APIError(code: 404, reason: "NotFound", message: "the server could not find the requested resource")

    static let version: JSON = [
        "major": "1", "minor": "32", "gitVersion": "v1.32.0-skiff", "gitCommit": "", "gitTreeState": "clean",
        "buildDate": "2026-11-22T00:00:00Z", "goVersion": "swift6.3", "compiler": "swift", "platform": "linux/amd64",
    ]

    var rootPaths: [String] {
        ["/api", "/api/v1", "/apis", "/healthz", "/livez", "/readyz", "/openapi/v3", "/version"]
            + registry.groups.filter { !$0.name.isEmpty }.flatMap { group in
                ["/apis/\(group.name)"] + group.versions.map { "/apis/\(group.name)/\($0.version)" }
            }
    }

    func parseTarget(group: String, version: String, rest: [String]) throws -> Target {
        if rest.count >= 3, rest[0] == "namespaces",
            let definition = registry.lookup(group: group, version: version, plural: rest[2]), definition.namespaced
        {
            guard rest.count <= 5 else { throw Self.pathNotFound }
            return Target(definition: definition, namespace: rest[1], name: rest.count > 3 ? rest[3] : nil, subresource: rest.count > 4 ? rest[4] : nil)
        }
        guard rest.count <= 3, let definition = registry.lookup(group: group, version: version, plural: rest[0]) else {
            throw Self.pathNotFound
        }
        return Target(definition: definition, namespace: nil, name: rest.count > 1 ? rest[1] : nil, subresource: rest.count > 2 ? rest[2] : nil)
    }

    func resource(_ request: APIRequest, identity: Identity, group: String, version: String, rest: [String]) async throws -> APIResponse {
        guard !rest.isEmpty else { throw Self.pathNotFound }
        if group.isEmpty, rest.count >= 4, rest[0] == "nodes", rest[2] == "proxy" {
            return try await nodeProxy(request, identity: identity, node: rest[1], path: Array(rest[3...]))
        }
        let target = try parseTarget(group: group, version: version, rest: rest)
        if let subresource = target.subresource {
            guard let known = ResourceDefinition.Subresource(rawValue: subresource), target.definition.subresources.contains(known) else {
                throw Self.pathNotFound
            }
        }
        let verb = Self.verb(method: request.method, target: target, request: request)
        if target.definition.readOnly && !["get", "list", "watch"].contains(verb) {
            throw APIError.methodNotAllowed("the server does not allow this method on the requested resource")
        }
        if case .node(let node) = identity {
            if let subresource = target.subresource, ["log", "exec", "attach", "portforward"].contains(subresource) {
                // Reading logs and running commands in pods is the admin's; agents never need it.
                throw APIError.forbidden("node \"\(node)\" cannot \(verb) resource \"pods/\(subresource)\"")
            }
            try await authorize(node: node, verb: verb, target: target, request: request)
        }
        if case .user(let user) = identity, !user.isPrivileged {
            try await authorize(Self.attributes(user: user, verb: verb, target: target))
        }
        if target.definition.naming.group == "metrics.k8s.io" { return try await metrics(target, request) }
        switch (request.method, target.name, target.subresource) {
        case ("GET", nil, _):
            return request.flag("watch") ? try await watch(target, request) : try await list(target, request)
        case ("GET", _?, "scale"): return try await getScale(target, request)
        case ("GET", _?, "log"): return try await podLog(target, request)
        case ("GET", _?, "exec"), ("POST", _?, "exec"): return try await podExec(target, request)
        case ("GET", _?, "portforward"), ("POST", _?, "portforward"): return try await podPortForward(target, request)
        case ("GET", _?, "attach"), ("POST", _?, "attach"): return try await podAttach(target, request)
        case ("GET", _?, _): return try await get(target, request)
        case ("POST", nil, nil): return try await create(target, request)
        case ("POST", _?, "binding"): return try await bind(target, request)
        case ("POST", _?, "eviction"): return try await evict(target, request)
        case ("POST", _?, "token"): return try await createToken(target, request)
        case ("PUT", _?, "scale"): return try await updateScale(target, request, patch: false)
        case ("PUT", _?, "finalize"): return try await finalize(target, request)
        case ("PATCH", _?, "scale"): return try await updateScale(target, request, patch: true)
        case ("PUT", _?, _): return try await update(target, request)
        case ("PATCH", _?, _): return try await patch(target, request)
        case ("DELETE", _?, nil): return try await delete(target, request)
        case ("DELETE", nil, nil): return try await deleteCollection(target, request)
        default:
            throw APIError.methodNotAllowed("the server does not allow this method on the requested resource")
        }
    }

    static func verb(method: String, target: Target, request: APIRequest) -> String {
        switch method {
        case "GET": target.name == nil ? (request.flag("watch") ? "watch" : "list") : "get"
        case "POST": "create"
        case "PUT": "update"
        case "PATCH": "patch"
        case "DELETE": target.name == nil ? "deletecollection" : "delete"
        default: method.lowercased()
        }
    }

    func authorize(node: String, verb: String, target: Target, request: APIRequest) async throws {
        var name = target.name
        if verb == "create" && name == nil {
            // A create names its object in the body.
            name = (try? Self.parseBody(request))?["metadata"]["name"].string
        }
        switch NodeAuthorizer.decide(
            node: node, verb: verb, resource: target.definition, namespace: target.namespace, name: name, subresource: target.subresource)
        {
        case .allow: return
        case .deny(let message): throw APIError.forbidden(message)
        case .allowIfPodBound:
            guard let name = target.name, let stored = try await storeGet(target.definition.key(namespace: target.namespace, name: name)) else {
                throw APIError.forbidden("node \"\(node)\" cannot change a pod that is not bound to it")
            }
            let pod = try decode(stored)
            guard pod["spec"]["nodeName"].string == node else {
                throw APIError.forbidden("node \"\(node)\" cannot change pod \"\(name)\": it is bound to another node")
            }
        case .allowIfTokenForBoundPod:
            let reference = (try? Self.parseBody(request))?["spec"]["boundObjectRef"] ?? .null
            let denial = APIError.forbidden(
                "node \"\(node)\" may only create tokens bound to pods on it, for their own service account (not \"\(target.name ?? "")\")")
            guard reference["kind"].string == "Pod", let podName = reference["name"].string, let namespace = target.namespace,
                let stored = try await storeGet(CoreResources.pod.key(namespace: namespace, name: podName))
            else { throw denial }
            let pod = try decode(stored)
            guard pod["spec"]["nodeName"].string == node, (pod["spec"]["serviceAccountName"].string ?? "default") == target.name else { throw denial }
        }
    }
}
