import SkiffAPI

/// Field numbers of the Kubernetes protobuf messages kubectl's `create` commands send (from the
/// API types' generated.proto), enough to turn them into the JSON the rest of the server uses.
/// Unknown fields are skipped, so a richer object loses only what this table does not name.
enum KubeProtobufSchema {
    indirect enum Field {
        case string(String)
        /// Omitted when zero, like Go's `omitempty` on a plain int.
        case integer(String)
        /// A Go `*int32`: kept even when zero (`replicas: 0` means zero, absent means default).
        case pointerInteger(String)
        case bool(String)
        case message(String, Message)
        case repeatedMessage(String, Message)
        case repeatedString(String)
        case stringMap(String)
        /// `map<string, bytes>`, base64 in JSON (Secret data, ConfigMap binaryData).
        case bytesMap(String)
        case intOrString(String)
    }

    typealias Message = [Int: Field]

    static let objectMeta: Message = [
        1: .string("name"), 2: .string("generateName"), 3: .string("namespace"), 6: .string("resourceVersion"),
        11: .stringMap("labels"), 12: .stringMap("annotations"), 14: .repeatedString("finalizers"),
        // `kubectl create job --from=cronjob/NAME` sends the Job owned by the CronJob.
        13: .repeatedMessage(
            "ownerReferences",
            [1: .string("kind"), 3: .string("name"), 4: .string("uid"), 5: .string("apiVersion"), 6: .bool("controller"), 7: .bool("blockOwnerDeletion")]),
    ]
    static let labelSelector: Message = [
        1: .stringMap("matchLabels"),
        2: .repeatedMessage("matchExpressions", [1: .string("key"), 2: .string("operator"), 3: .repeatedString("values")]),
    ]
    static let container: Message = [
        1: .string("name"), 2: .string("image"), 3: .repeatedString("command"), 4: .repeatedString("args"), 5: .string("workingDir"),
        6: .repeatedMessage(
            "ports", [1: .string("name"), 2: .integer("hostPort"), 3: .integer("containerPort"), 4: .string("protocol"), 5: .string("hostIP")]),
        7: .repeatedMessage("env", [1: .string("name"), 2: .string("value")]),
        8: .message("resources", [1: .stringMap("limits"), 2: .stringMap("requests")]),
        14: .string("imagePullPolicy"), 16: .bool("stdin"), 17: .bool("stdinOnce"), 18: .bool("tty"),
    ]
    static let podSpec: Message = [
        2: .repeatedMessage("containers", container), 3: .string("restartPolicy"), 4: .pointerInteger("terminationGracePeriodSeconds"),
        6: .string("dnsPolicy"), 7: .stringMap("nodeSelector"), 8: .string("serviceAccountName"), 10: .string("nodeName"),
        20: .repeatedMessage("initContainers", container),
    ]
    static let podTemplate: Message = [1: .message("metadata", objectMeta), 2: .message("spec", podSpec)]
    static let jobSpec: Message = [
        1: .pointerInteger("parallelism"), 2: .pointerInteger("completions"), 3: .pointerInteger("activeDeadlineSeconds"),
        4: .message("selector", labelSelector), 5: .bool("manualSelector"), 6: .message("template", podTemplate), 7: .pointerInteger("backoffLimit"),
        8: .pointerInteger("ttlSecondsAfterFinished"), 9: .string("completionMode"), 10: .bool("suspend"), 12: .pointerInteger("backoffLimitPerIndex"),
        13: .pointerInteger("maxFailedIndexes"), 14: .string("podReplacementPolicy"), 15: .string("managedBy"),
    ]

    static let objectReference: Message = [
        1: .string("kind"), 2: .string("namespace"), 3: .string("name"), 4: .string("uid"), 5: .string("apiVersion"), 6: .string("resourceVersion"),
    ]
    static let policyRule: Message = [
        1: .repeatedString("verbs"), 2: .repeatedString("apiGroups"), 3: .repeatedString("resources"), 4: .repeatedString("resourceNames"),
        5: .repeatedString("nonResourceURLs"),
    ]
    static let binding: Message = [
        1: .message("metadata", objectMeta),
        2: .repeatedMessage("subjects", [1: .string("kind"), 2: .string("apiGroup"), 3: .string("name"), 4: .string("namespace")]),
        3: .message("roleRef", [1: .string("apiGroup"), 2: .string("kind"), 3: .string("name")]),
    ]
    static let resourceAttributes: Message = [
        1: .string("namespace"), 2: .string("verb"), 3: .string("group"), 4: .string("version"), 5: .string("resource"),
        6: .string("subresource"), 7: .string("name"),
    ]
    static let nonResourceAttributes: Message = [1: .string("path"), 2: .string("verb")]
    /// SubjectAccessReview's and LocalSubjectAccessReview's.
    static let subjectAccessReview: Message = [
        1: .message("metadata", objectMeta),
        2: .message(
            "spec",
            [
                1: .message("resourceAttributes", resourceAttributes), 2: .message("nonResourceAttributes", nonResourceAttributes),
                3: .string("user"), 4: .repeatedString("groups"), 6: .string("uid"),
            ]),
    ]

    /// The top-level message of each kind, keyed by kind (by `apiVersion/kind` where versions differ).
    static let kinds: [String: Message] = [
        // `kubectl create role|clusterrole|rolebinding|clusterrolebinding` and `kubectl auth can-i`.
        "Role": [1: .message("metadata", objectMeta), 2: .repeatedMessage("rules", policyRule)],
        "ClusterRole": [
            1: .message("metadata", objectMeta), 2: .repeatedMessage("rules", policyRule),
            3: .message("aggregationRule", [1: .repeatedMessage("clusterRoleSelectors", labelSelector)]),
        ],
        "RoleBinding": binding, "ClusterRoleBinding": binding,
        "SelfSubjectAccessReview": [
            1: .message("metadata", objectMeta),
            2: .message(
                "spec", [1: .message("resourceAttributes", resourceAttributes), 2: .message("nonResourceAttributes", nonResourceAttributes)]),
        ],
        "SubjectAccessReview": subjectAccessReview, "LocalSubjectAccessReview": subjectAccessReview,
        "SelfSubjectRulesReview": [1: .message("metadata", objectMeta), 2: .message("spec", [1: .string("namespace")])],
        // `kubectl auth whoami`.
        "SelfSubjectReview": [1: .message("metadata", objectMeta)],
        // `kubectl create serviceaccount` and `kubectl create token`.
        "ServiceAccount": [
            1: .message("metadata", objectMeta), 2: .repeatedMessage("secrets", objectReference),
            3: .repeatedMessage("imagePullSecrets", [1: .string("name")]), 4: .bool("automountServiceAccountToken"),
        ],
        "TokenRequest": [
            1: .message("metadata", objectMeta),
            2: .message(
                "spec",
                [
                    1: .repeatedString("audiences"), 4: .pointerInteger("expirationSeconds"),
                    3: .message("boundObjectRef", [1: .string("kind"), 2: .string("apiVersion"), 3: .string("name"), 4: .string("uid")]),
                ]),
        ],
        "Namespace": [1: .message("metadata", objectMeta), 2: .message("spec", [1: .repeatedString("finalizers")])],
        "ConfigMap": [1: .message("metadata", objectMeta), 2: .stringMap("data"), 3: .bytesMap("binaryData"), 4: .bool("immutable")],
        "Secret": [1: .message("metadata", objectMeta), 2: .bytesMap("data"), 3: .string("type"), 4: .stringMap("stringData"), 5: .bool("immutable")],
        "Pod": [1: .message("metadata", objectMeta), 2: .message("spec", podSpec)],
        "Deployment": [
            1: .message("metadata", objectMeta),
            2: .message(
                "spec",
                [
                    1: .pointerInteger("replicas"), 2: .message("selector", labelSelector), 3: .message("template", podTemplate),
                    5: .integer("minReadySeconds"), 6: .pointerInteger("revisionHistoryLimit"), 7: .bool("paused"),
                    9: .pointerInteger("progressDeadlineSeconds"),
                ]),
        ],
        "Job": [1: .message("metadata", objectMeta), 2: .message("spec", jobSpec)],
        "CronJob": [
            1: .message("metadata", objectMeta),
            2: .message(
                "spec",
                [
                    1: .string("schedule"), 8: .string("timeZone"), 2: .pointerInteger("startingDeadlineSeconds"), 3: .string("concurrencyPolicy"),
                    4: .bool("suspend"), 5: .message("jobTemplate", [1: .message("metadata", objectMeta), 2: .message("spec", jobSpec)]),
                    6: .pointerInteger("successfulJobsHistoryLimit"), 7: .pointerInteger("failedJobsHistoryLimit"),
                ]),
        ],
        "autoscaling/v1/HorizontalPodAutoscaler": [
            1: .message("metadata", objectMeta),
            2: .message(
                "spec",
                [
                    1: .message("scaleTargetRef", [1: .string("kind"), 2: .string("name"), 3: .string("apiVersion")]),
                    2: .pointerInteger("minReplicas"), 3: .pointerInteger("maxReplicas"), 4: .pointerInteger("targetCPUUtilizationPercentage"),
                ]),
        ],
        "PodDisruptionBudget": [
            1: .message("metadata", objectMeta),
            2: .message(
                "spec",
                [
                    1: .intOrString("minAvailable"), 2: .message("selector", labelSelector), 3: .intOrString("maxUnavailable"),
                    4: .string("unhealthyPodEvictionPolicy"),
                ]),
        ],
        // `kubectl drain` evicts through the typed policy client.
        "Eviction": [
            1: .message("metadata", objectMeta),
            2: .message(
                "deleteOptions",
                [
                    1: .pointerInteger("gracePeriodSeconds"), 2: .message("preconditions", [1: .string("uid"), 2: .string("resourceVersion")]),
                    3: .bool("orphanDependents"), 4: .string("propagationPolicy"), 5: .repeatedString("dryRun"),
                ]),
        ],
        "Service": [
            1: .message("metadata", objectMeta),
            2: .message(
                "spec",
                [
                    1: .repeatedMessage(
                        "ports",
                        [
                            1: .string("name"), 2: .string("protocol"), 3: .integer("port"), 4: .intOrString("targetPort"), 5: .integer("nodePort"),
                        ]),
                    2: .stringMap("selector"), 3: .string("clusterIP"), 4: .string("type"), 5: .repeatedString("externalIPs"),
                    11: .string("externalName"),
                ]),
        ],
    ]

    static func decode(_ bytes: ArraySlice<UInt8>, as message: Message) throws(PatchError) -> JSON {
        var object = JSON.emptyObject
        var reader = ProtobufReader(bytes)
        while let (number, value) = try reader.next() {
            guard let field = message[number] else { continue }
            switch field {
            // gogo-protobuf writes zero values of non-pointer fields; JSON omits them, and so do we.
            case .string(let name): if let text = value.string, !text.isEmpty { object[name] = .string(text) }
            case .integer(let name): if let number = value.integer, number != 0 { object[name] = .int(number) }
            case .pointerInteger(let name): object[name] = .int(value.integer ?? 0)
            case .bool(let name): if value.integer == 1 { object[name] = true }
            case .message(let name, let inner): object[name] = try decode(value.slice ?? [], as: inner)
            case .repeatedMessage(let name, let inner):
                object[name] = .array((object[name].array ?? []) + [try decode(value.slice ?? [], as: inner)])
            case .repeatedString(let name): object[name] = .array((object[name].array ?? []) + [.string(value.string ?? "")])
            case .stringMap(let name), .bytesMap(let name):
                var entry = ProtobufReader(value.slice ?? [])
                var key = ""
                var text = ""
                while let (entryField, entryValue) = try entry.next() {
                    if entryField == 1 { key = entryValue.string ?? "" }
                    if entryField == 2 {
                        if case .bytesMap = field { text = Base64.encode(Array(entryValue.slice ?? [])) } else { text = entryValue.string ?? "" }
                    }
                }
                object[name][key] = .string(text)
            case .intOrString(let name):
                let parsed = try decode(value.slice ?? [], as: [1: .pointerInteger("type"), 2: .pointerInteger("intVal"), 3: .string("strVal")])
                object[name] = parsed["type"].int == 1 ? parsed["strVal"] : .int(parsed["intVal"].int ?? 0)
            }
        }
        return object
    }
}
