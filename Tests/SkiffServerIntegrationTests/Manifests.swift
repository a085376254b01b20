/// YAML manifests the kubectl tests apply.
enum Manifests {
    static func deployment(image: String, replicas: Int = 2) -> String {
        """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
          labels: {app: web}
        spec:
          replicas: \(replicas)
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec:
              containers:
              - name: nginx
                image: \(image)
                ports: [{containerPort: 80}]
                env: [{name: MODE, value: fast}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: web}
        spec:
          selector: {app: web}
          ports: [{port: 80, targetPort: 8080}]
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: solo, labels: {app: solo}}
        spec:
          containers:
          - name: main
            image: \(image)
        """
    }

    static let node = """
        apiVersion: v1
        kind: Node
        metadata:
          name: worker-1
          labels: {node-role.kubernetes.io/worker: "", kubernetes.io/hostname: worker-1}
        status:
          conditions: [{type: Ready, status: "True", reason: KubeletReady, message: ok}]
          addresses: [{type: InternalIP, address: 192.168.7.10}, {type: Hostname, address: worker-1}]
          capacity: {cpu: "4", memory: 8Gi, pods: "110"}
          allocatable: {cpu: "4", memory: 8Gi, pods: "110"}
          nodeInfo:
            kubeletVersion: v1.32.0-skiff
            osImage: Debian GNU/Linux 12 (bookworm)
            kernelVersion: 6.1.0
            containerRuntimeVersion: skiff://0.1
            architecture: amd64
            operatingSystem: linux
            bootID: b
            kubeProxyVersion: v1.32.0
            machineID: m
            systemUUID: s
        """

    static func event(podUID: String) -> String {
        """
        apiVersion: v1
        kind: Event
        metadata: {name: solo.1}
        involvedObject: {kind: Pod, name: solo, namespace: default, uid: "\(podUID)", apiVersion: v1}
        reason: Scheduled
        message: Successfully assigned default/solo to worker-1
        type: Normal
        source: {component: default-scheduler}
        firstTimestamp: "2026-01-01T00:00:00Z"
        lastTimestamp: "2026-01-01T00:00:00Z"
        count: 1
        """
    }

    static let invalidPod = """
        apiVersion: v1
        kind: Pod
        metadata: {name: broken}
        spec:
          containers:
          - name: main
            image: ""
            resources: {requests: {cpu: lots}}
        """
}
