import Foundation
import SkiffTestSupport
import Testing

/// Claims on `scripts/cluster` hosts with real kubectl: the built-in `local-path` class makes a
/// directory on the node the scheduler chose, pins the volume there, and the data outlives the
/// pod; reclaim Delete and Retain; a claim for a class that does not exist says so.
@Suite("Persistent volumes (root, multi-host)", .serialized)
struct StorageTests {
    static func pod(_ name: String, claim: String, command: String) -> String {
        """
        apiVersion: v1
        kind: Pod
        metadata: {name: \(name)}
        spec:
          terminationGracePeriodSeconds: 1
          containers:
          - {name: c, image: busybox, command: [sh, -c, '\(command)'], volumeMounts: [{name: data, mountPath: /data}]}
          volumes:
          - {name: data, persistentVolumeClaim: {claimName: \(claim)}}
        """
    }

    static func claim(_ name: String, storageClass: String? = nil) -> String {
        """
        apiVersion: v1
        kind: PersistentVolumeClaim
        metadata: {name: \(name)}
        spec:
          accessModes: [ReadWriteOnce]
          resources: {requests: {storage: 1Mi}}
        \(storageClass.map { "  storageClassName: \($0)" } ?? "")
        """
    }

    @Test(
        "local-path: a claim binds on its pod's node, the data survives the pod, a new pod follows the volume to that node; Delete removes the volume with its claim, Retain keeps it Released; an unknown class is reported"
    )
    func localPath() async throws {
        try await TestCluster.with(nodes: 2) { cluster in
            let k = Workloads(cluster: cluster)
            // The default class is local-path, binding at first use: the claim waits for a pod.
            let classes = try await k.kubectl("get", "storageclass")
            #expect(classes.contains("local-path (default)"), "\(classes)")
            try await k.apply(Self.claim("data"))
            try await Task.sleep(for: .seconds(2))
            #expect(try await k.kubectl("get", "pvc", "data", "-o", "jsonpath={.status.phase}") == "Pending")

            try await k.apply(Self.pod("writer", claim: "data", command: "echo kept > /data/file; sleep 3600"))
            try await k.eventually("the writer running") { try await k.kubectl("get", "pod", "writer", "-o", "jsonpath={.status.phase}") == "Running" }
            let node = try await k.kubectl("get", "pod", "writer", "-o", "jsonpath={.spec.nodeName}")
            #expect(try await k.kubectl("get", "pvc", "data", "-o", "jsonpath={.status.phase}") == "Bound")
            let volume = try await k.kubectl("get", "pvc", "data", "-o", "jsonpath={.spec.volumeName}")
            let pinned = try await k.kubectl(
                "get", "pv", volume, "-o", "jsonpath={.spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0].values[0]}")
            #expect(pinned == node)
            #expect(try await k.kubectl("exec", "writer", "--", "cat", "/data/file") == "kept\n")

            // The pod goes; a new one (placed by the scheduler) lands where the volume is and reads it.
            try await k.kubectl("delete", "pod", "writer", "--wait=true")
            try await k.apply(Self.pod("reader", claim: "data", command: "sleep 3600"))
            try await k.eventually("the reader running") { try await k.kubectl("get", "pod", "reader", "-o", "jsonpath={.status.phase}") == "Running" }
            #expect(try await k.kubectl("get", "pod", "reader", "-o", "jsonpath={.spec.nodeName}") == node)
            #expect(try await k.kubectl("exec", "reader", "--", "cat", "/data/file") == "kept\n")

            // A claim in use is protected: deleting it waits for its pod.
            try await k.kubectl("delete", "pvc", "data", "--wait=false")
            try await Task.sleep(for: .seconds(2))
            #expect(try await k.kubectl("get", "pvc", "data", "-o", "jsonpath={.status.phase}") == "Bound")
            try await k.kubectl("delete", "pod", "reader", "--wait=true")
            try await k.eventually("the claim gone once unused") { try await cluster.kubectl("get", "pvc", "data").status != 0 }
            // Reclaim policy Delete (the class's): the volume goes with its claim.
            try await k.eventually("the volume deleted") { try await cluster.kubectl("get", "pv", volume).status != 0 }

            // Retain: the volume stays, Released, with the data.
            try await k.apply(
                """
                apiVersion: storage.k8s.io/v1
                kind: StorageClass
                metadata: {name: keep}
                provisioner: skiff.dev/local-path
                reclaimPolicy: Retain
                volumeBindingMode: WaitForFirstConsumer
                """)
            try await k.apply(Self.claim("kept", storageClass: "keep"))
            try await k.apply(Self.pod("keeper", claim: "kept", command: "sleep 3600"))
            try await k.eventually("the keeper running") { try await k.kubectl("get", "pod", "keeper", "-o", "jsonpath={.status.phase}") == "Running" }
            let retained = try await k.kubectl("get", "pvc", "kept", "-o", "jsonpath={.spec.volumeName}")
            try await k.kubectl("delete", "pod", "keeper", "--wait=true")
            try await k.kubectl("delete", "pvc", "kept", "--wait=true")
            try await k.eventually("the retained volume Released") {
                try await k.kubectl("get", "pv", retained, "-o", "jsonpath={.status.phase}") == "Released"
            }

            // A class that does not exist: the claim stays Pending and its events say why.
            try await k.apply(Self.claim("lost", storageClass: "nope"))
            try await k.eventually("a ProvisioningFailed event naming the class") {
                let events = try await k.kubectl("get", "events", "--field-selector", "involvedObject.name=lost", "-o", "jsonpath={.items[*].message}")
                return events.contains("storageclass.storage.k8s.io \"nope\" not found")
            }
            #expect(try await k.kubectl("get", "pvc", "lost", "-o", "jsonpath={.status.phase}") == "Pending")
        }
    }
}
