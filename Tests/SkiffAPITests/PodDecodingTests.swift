import SkiffAPI
import Testing

@Suite("Pod model: decoding and Kubernetes' defaults")
struct PodDecodingTests {
    static let minimal: JSON = [
        "metadata": ["name": "web", "uid": "u1"],
        "spec": ["containers": [["name": "app", "image": "nginx"]]],
    ]

    @Test("a pod with only the required fields gets the API server's defaults")
    func defaults() throws {
        let pod = try Pod(json: Self.minimal)
        #expect(pod.namespace == "default")
        #expect(pod.name == "web")
        #expect(pod.uid == "u1")
        #expect(pod.key == "default/web")
        #expect(!pod.isBeingDeleted)
        #expect(pod.spec.restartPolicy == .always)
        #expect(pod.spec.terminationGracePeriodSeconds == 30)
        #expect(pod.spec.dnsPolicy == .clusterFirst)
        #expect(pod.spec.hostNetwork == false)
        let container = try #require(pod.spec.containers.first)
        #expect(container.terminationMessagePath == "/dev/termination-log")
        #expect(container.terminationMessagePolicy == .file)
        #expect(container.imagePullPolicy == .always, "an untagged image is pulled every time")
        #expect(container.securityContext.allowPrivilegeEscalation)
        #expect(!container.securityContext.privileged)
        #expect(container.resources == .empty)
        #expect(container.lifecycle.postStart == nil)
        #expect(!container.hasProbes)
        #expect(pod.json == Self.minimal, "the raw object is kept unchanged")
    }

    @Test("an empty namespace reads as default, a set one is kept")
    func namespace() throws {
        #expect(try Pod(json: ["metadata": ["name": "a", "namespace": ""]]).namespace == "default")
        #expect(try Pod(json: ["metadata": ["name": "a", "namespace": "prod"]]).namespace == "prod")
    }

    @Test(
        "imagePullPolicy defaults from the tag",
        arguments: [
            ("nginx", Container.PullPolicy.always), ("nginx:latest", .always), ("nginx:1.27", .ifNotPresent),
            ("registry:5000/app", .always), ("registry:5000/app:v1", .ifNotPresent),
        ])
    func pullPolicy(image: String, expected: Container.PullPolicy) throws {
        let pod = try Pod(json: ["spec": ["containers": [["name": "c", "image": .string(image)]]]])
        #expect(pod.spec.containers[0].imagePullPolicy == expected)
    }

    @Test("probes get periodSeconds 10, timeoutSeconds 1, thresholds 1 and 3; zero means unset")
    func probeDefaults() throws {
        let pod = try Pod(json: [
            "spec": [
                "containers": [
                    [
                        "name": "c",
                        "livenessProbe": ["httpGet": ["port": 8080]],
                        "readinessProbe": ["tcpSocket": ["port": "http"], "periodSeconds": 0, "failureThreshold": 5, "initialDelaySeconds": 2],
                        "startupProbe": ["exec": ["command": ["true"]]],
                        "ports": [["name": "http", "containerPort": 80]],
                    ]
                ]
            ]
        ])
        let container = pod.spec.containers[0]
        let liveness = try #require(container.livenessProbe)
        #expect(liveness.periodSeconds == 10)
        #expect(liveness.timeoutSeconds == 1)
        #expect(liveness.successThreshold == 1)
        #expect(liveness.failureThreshold == 3)
        #expect(liveness.initialDelaySeconds == 0)
        guard case .httpGet(let get) = liveness.handler else {
            Issue.record("expected httpGet")
            return
        }
        #expect(get.path == "/")
        #expect(get.scheme == .http)
        #expect(get.port == .number(8080))
        let readiness = try #require(container.readinessProbe)
        #expect(readiness.periodSeconds == 10)
        #expect(readiness.failureThreshold == 5)
        #expect(readiness.initialDelaySeconds == 2)
        guard case .tcpSocket(_, let port) = readiness.handler else {
            Issue.record("expected tcpSocket")
            return
        }
        #expect(port.resolve(in: container) == 80, "a named port is looked up in the container's ports")
        #expect(container.startupProbe?.handler == .exec(command: ["true"]))
        #expect(container.ports[0].protocol == .tcp)
    }

    @Test("env reads literal values and every valueFrom kind; envFrom reads ConfigMaps and Secrets")
    func environment() throws {
        let pod = try Pod(json: [
            "spec": [
                "containers": [
                    [
                        "name": "c",
                        "env": [
                            ["name": "PLAIN", "value": "x"],
                            ["name": "EMPTY"],
                            ["name": "NODE", "valueFrom": ["fieldRef": ["fieldPath": "spec.nodeName"]]],
                            ["name": "MEM", "valueFrom": ["resourceFieldRef": ["resource": "limits.memory", "divisor": "1Mi"]]],
                            ["name": "CM", "valueFrom": ["configMapKeyRef": ["name": "cfg", "key": "k", "optional": true]]],
                            ["name": "SEC", "valueFrom": ["secretKeyRef": ["name": "s", "key": "password"]]],
                        ],
                        "envFrom": [["configMapRef": ["name": "cfg"]], ["prefix": "S_", "secretRef": ["name": "s", "optional": true]]],
                    ]
                ]
            ]
        ])
        let env = pod.spec.containers[0].env
        #expect(env.map(\.name) == ["PLAIN", "EMPTY", "NODE", "MEM", "CM", "SEC"])
        #expect(env[0].value == "x" && env[0].valueFrom == nil)
        #expect(env[1].value == "")
        #expect(env[2].valueFrom == .fieldRef(fieldPath: "spec.nodeName"))
        guard case .resourceFieldRef(let resource) = env[3].valueFrom else {
            Issue.record("expected resourceFieldRef")
            return
        }
        #expect(resource.resource == "limits.memory")
        #expect(resource.divisor == Quantity(parsing: "1Mi"))
        guard case .configMapKeyRef(let key) = env[4].valueFrom else {
            Issue.record("expected configMapKeyRef")
            return
        }
        #expect(key.name == "cfg" && key.key == "k" && key.optional)
        guard case .secretKeyRef(let secret) = env[5].valueFrom else {
            Issue.record("expected secretKeyRef")
            return
        }
        #expect(secret.name == "s" && !secret.optional)
        let envFrom = pod.spec.containers[0].envFrom
        #expect(envFrom.map(\.isSecret) == [false, true])
        #expect(envFrom[1].prefix == "S_" && envFrom[1].optional)
    }

    @Test("volumes: the supported kinds decode with their defaults; others are named as unsupported")
    func volumes() throws {
        let pod = try Pod(json: [
            "spec": [
                "volumes": [
                    ["name": "scratch", "emptyDir": ["medium": "Memory", "sizeLimit": "16Mi"]],
                    ["name": "host", "hostPath": ["path": "/var/data", "type": "DirectoryOrCreate"]],
                    ["name": "cfg", "configMap": ["name": "settings", "items": [["key": "a", "path": "a.txt", "mode": 0o600]]]],
                    ["name": "creds", "secret": ["secretName": "token", "defaultMode": 0o400]],
                    ["name": "info", "downwardAPI": ["items": [["path": "labels", "fieldRef": ["fieldPath": "metadata.labels"]]]]],
                    ["name": "claim", "persistentVolumeClaim": ["claimName": "data"]],
                    ["name": "share", "nfs": ["server": "files", "path": "/"]],
                ]
            ]
        ])
        let sources = pod.spec.volumes.map(\.source)
        guard case .emptyDir(let emptyDir) = sources[0] else {
            Issue.record("emptyDir")
            return
        }
        #expect(emptyDir.inMemory && emptyDir.sizeLimit == Quantity(parsing: "16Mi"))
        guard case .hostPath(let hostPath) = sources[1] else {
            Issue.record("hostPath")
            return
        }
        #expect(hostPath.path == "/var/data" && hostPath.type == .directoryOrCreate)
        guard case .configMap(let configMap) = sources[2] else {
            Issue.record("configMap")
            return
        }
        #expect(configMap.name == "settings" && configMap.defaultMode == 0o644 && !configMap.optional)
        #expect(configMap.items?.first?.mode == 0o600)
        guard case .secret(let secret) = sources[3] else {
            Issue.record("secret")
            return
        }
        #expect(secret.name == "token" && secret.defaultMode == 0o400 && secret.items == nil)
        guard case .downwardAPI(let downward) = sources[4] else {
            Issue.record("downwardAPI")
            return
        }
        #expect(downward.items.first?.fieldPath == "metadata.labels")
        guard case .persistentVolumeClaim(let claim) = sources[5] else {
            Issue.record("persistentVolumeClaim")
            return
        }
        #expect(claim.claimName == "data" && !claim.readOnly)
        #expect(sources[6] == .unsupported(kind: "nfs"))
    }

    @Test("security contexts: the container's and the pod's, with capabilities and seccomp")
    func securityContexts() throws {
        let pod = try Pod(json: [
            "spec": [
                "securityContext": ["runAsUser": 1000, "fsGroup": 2000, "supplementalGroups": [3000], "seccompProfile": ["type": "Unconfined"]],
                "containers": [
                    [
                        "name": "c",
                        "securityContext": [
                            "privileged": false, "allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true, "runAsNonRoot": true,
                            "capabilities": ["add": ["NET_ADMIN"], "drop": ["ALL"]], "seccompProfile": ["type": "RuntimeDefault"],
                        ],
                    ]
                ],
            ]
        ])
        #expect(pod.spec.securityContext.runAsUser == 1000)
        #expect(pod.spec.securityContext.fsGroup == 2000)
        #expect(pod.spec.securityContext.supplementalGroups == [3000])
        #expect(pod.spec.securityContext.seccompProfile?.type == .unconfined)
        let security = pod.spec.containers[0].securityContext
        #expect(!security.allowPrivilegeEscalation && security.readOnlyRootFilesystem && security.runAsNonRoot == true)
        #expect(security.capabilities == SecurityContext.Capabilities(add: ["NET_ADMIN"], drop: ["ALL"]))
        #expect(security.seccompProfile?.type == .runtimeDefault)
        #expect(security.runAsUser == nil, "unset here, so the pod's applies")
    }

    @Test("metadata, deletion and status are read; replacingStatus keeps the rest")
    func metadataAndStatus() throws {
        let json: JSON = [
            "metadata": [
                "name": "p", "namespace": "ns", "uid": "u", "resourceVersion": "42", "labels": ["app": "web"],
                "annotations": ["note": "x"], "deletionTimestamp": "2026-12-06T10:00:00Z", "deletionGracePeriodSeconds": 5,
                "ownerReferences": [["apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs", "uid": "r1", "controller": true]],
            ],
            "spec": ["containers": [["name": "c"]], "restartPolicy": "OnFailure"],
            "status": ["phase": "Running", "podIP": "10.42.0.9", "conditions": [["type": "PodScheduled", "status": "True"]]],
        ]
        let pod = try Pod(json: json)
        #expect(pod.resourceVersion == "42")
        #expect(pod.labels == ["app": "web"] && pod.annotations == ["note": "x"])
        #expect(pod.isBeingDeleted && pod.deletionGracePeriodSeconds == 5)
        #expect(pod.ownerReferences.first?.controller == true)
        #expect(pod.spec.restartPolicy == .onFailure)
        #expect(pod.status.phase == .running && pod.status.podIP == "10.42.0.9")
        #expect(pod.status.condition("PodScheduled")?.status == "True")
        let updated = try pod.replacingStatus(["phase": "Succeeded"])
        #expect(updated.status.phase == .succeeded)
        #expect(updated.status.podIP == nil)
        #expect(updated.uid == "u" && updated.spec == pod.spec)
    }

    @Test("restart policies decide which exits restart")
    func restartPolicy() {
        #expect(PodSpec.RestartPolicy.always.restarts(exitCode: 0))
        #expect(!PodSpec.RestartPolicy.onFailure.restarts(exitCode: 0))
        #expect(PodSpec.RestartPolicy.onFailure.restarts(exitCode: 1))
        #expect(!PodSpec.RestartPolicy.never.restarts(exitCode: 1))
    }

    @Test(
        "bad pods are errors that name the field, never a crash",
        arguments: [
            (["spec": ["containers": [["image": "x"]]]] as JSON, "spec.containers[0].name: required field is missing"),
            (["spec": ["containers": [["name": 7]]]] as JSON, "spec.containers[0].name: expected String, found number"),
            (["spec": ["containers": "c"]] as JSON, "spec.containers: expected Array, found string"),
            (["spec": ["restartPolicy": "Sometimes"]] as JSON, "spec.restartPolicy: unsupported value \"Sometimes\""),
            (
                ["spec": ["containers": [["name": "c", "resources": ["limits": ["cpu": "lots"]]]]]] as JSON,
                "spec.containers[0].resources.limits.cpu: expected a quantity such as \"500m\" or \"64Mi\", found \"lots\""
            ),
            (
                ["spec": ["containers": [["name": "c"]], "initContainers": [["name": "c"]]]] as JSON,
                "spec.containers[0].name: duplicate container name \"c\""
            ),
            (["metadata": ["labels": ["a": 1]]] as JSON, "metadata.labels.a: expected String, found number"),
            (
                ["spec": ["containers": [["name": "c", "livenessProbe": ["httpGet": ["port": true]]]]]] as JSON,
                "spec.containers[0].livenessProbe.httpGet.port: expected a port number or name, found boolean"
            ),
            ("a pod" as JSON, "(top level): expected an object, found string"),
        ])
    func badPods(json: JSON, message: String) {
        do {
            _ = try Pod(json: json)
            Issue.record("decoded a bad pod")
        } catch {
            #expect(error.description == message)
        }
    }

    static let qosCases: [([JSON], QoSClass)] = [
        ([[:]], .bestEffort),
        ([["requests": ["cpu": "100m"]]], .burstable),
        ([["limits": ["cpu": "1", "memory": "1Gi"]]], .guaranteed),
        ([["limits": ["cpu": "1", "memory": "1Gi"], "requests": ["cpu": "500m"]]], .burstable),
        ([["limits": ["cpu": "1", "memory": "1Gi"]], [:]], .burstable),
    ]

    @Test("QoS classes from the typed spec match the JSON entry point", arguments: qosCases)
    func qos(resources: [JSON], expected: QoSClass) throws {
        let spec: JSON = ["containers": .array(resources.enumerated().map { ["name": .string("c\($0.offset)"), "resources": $0.element] })]
        #expect(QoS.classify(try Pod(json: ["spec": spec]).spec) == expected)
        #expect(QoS.classify(spec) == expected.rawValue)
    }

    @Test("identity reads name, uid and version from objects that do not decode: a bookmark, a bad spec")
    func identity() {
        let bookmark = Pod.identity(of: ["kind": "Pod", "metadata": ["resourceVersion": "77"]])
        #expect(bookmark == Pod.Identity(namespace: "default", name: "", uid: "", resourceVersion: "77"))
        let bad = Pod.identity(of: ["metadata": ["name": "p", "namespace": "ns", "uid": "u", "labels": 3], "spec": ["containers": "x"]])
        #expect(bad.namespace == "ns" && bad.name == "p" && bad.uid == "u" && bad.resourceVersion == nil)
        #expect(Pod.identity(of: "not an object").uid == "")
    }
}
