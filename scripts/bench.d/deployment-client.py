#!/usr/bin/env python3
"""The Kubernetes-API side of `scripts/bench cluster-pods`: a Deployment's create -> Available.

Standard library only, like agent-client.py (whose API class it reuses), so the client costs
little next to the cluster it times on a 2-core machine. It watches the bench namespace's pods and
Deployments from before the create, POSTs one Deployment of N replicas (busybox, `sleep 3600`,
image already on every node), and starts `kubectl rollout status` the moment the POST is answered.

    deployment-client.py KUBECONFIG NAME REPLICAS IMAGE TIMEOUT_S KUBECTL

Prints `key,value` lines, times in ms from the moment the POST was sent (monotonic clock):
    posted       the POST answered
    created      the last of the N pods first seen (the ReplicaSet controller's creates)
    bound        the last pod first seen with spec.nodeName (the scheduler's binds)
    running      the last pod first seen Running, every container running (the agents)
    ready        the last pod first seen with condition Ready=True
    available    the first Deployment event that `kubectl rollout status` counts as complete
                 (observedGeneration >= generation, updated == replicas == spec, available ==
                 updated)
    kubectl      when `kubectl rollout status` (started after `posted`) exited 0
then, per node: `node,NAME,PODS,FIRST_BOUND,LAST_BOUND,FIRST_RUNNING,LAST_RUNNING,P50_BOUND_TO_RUNNING`,
and per pod: `pod,NAME,NODE,CREATED,BOUND,RUNNING,READY`.
"""

import importlib.util
import json
import os
import subprocess
import sys
import threading
import time

here = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("agent_client", os.path.join(here, "agent-client.py"))
agent_client = importlib.util.module_from_spec(spec)
spec.loader.exec_module(agent_client)
API, NAMESPACE, is_running = agent_client.API, agent_client.NAMESPACE, agent_client.is_running


def deployment_manifest(name, replicas, image):
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "terminationGracePeriodSeconds": 1,
                    "containers": [{"name": "c", "image": image, "imagePullPolicy": "Never",
                                    "command": ["sleep", "3600"]}],
                },
            },
        },
    }


def is_ready(pod):
    conditions = (pod.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def rollout_complete(deployment):
    """kubectl's deployment status viewer: what makes `kubectl rollout status` return 0."""
    metadata, spec, status = deployment.get("metadata") or {}, deployment.get("spec") or {}, deployment.get("status") or {}
    if metadata.get("generation", 0) > status.get("observedGeneration", 0):
        return False
    replicas, updated = spec.get("replicas", 1), status.get("updatedReplicas", 0)
    return (updated >= replicas and status.get("replicas", 0) <= updated
            and status.get("availableReplicas", 0) >= updated)


class Recorder(threading.Thread):
    """One watch stream; hands each event to a callback with the monotonic time it arrived."""

    def __init__(self, api, path, resource_version, on_event, done):
        super().__init__(daemon=True)
        self.api, self.path, self.resource_version = api, path, resource_version
        self.on_event, self.done = on_event, done
        self.failure = None

    def run(self):
        try:
            connection = self.api.connect(timeout=900)
            connection.request("GET", f"{self.path}?watch=1&resourceVersion={self.resource_version}&timeoutSeconds=890",
                               headers=self.api.auth)
            response = connection.getresponse()
            if response.status != 200:
                raise RuntimeError(f"watch {self.path}: HTTP {response.status}: {response.read()[:300]!r}")
            while True:
                line = response.readline()
                if not line:
                    raise RuntimeError(f"watch {self.path}: the stream ended")
                now = time.monotonic()
                event = json.loads(line)
                if event.get("type") in ("ADDED", "MODIFIED"):
                    self.on_event(event.get("object") or {}, now)
        except Exception as error:  # the measurement cannot go on without its watch
            self.failure = error
            self.done.set()


def main(argv):
    if len(argv) != 7:
        raise SystemExit(__doc__)
    kubeconfig, name, replicas, image, timeout, kubectl = argv[1], argv[2], int(argv[3]), argv[4], float(argv[5]), argv[6]
    api = API(kubeconfig)
    api.ensure_namespace()
    pods_rv = api.pods_resource_version()
    deployments_rv = api.request("GET", f"/apis/apps/v1/namespaces/{NAMESPACE}/deployments")["metadata"]["resourceVersion"]

    lock, done = threading.Lock(), threading.Event()
    created, bound, running, ready, node_of = {}, {}, {}, {}, {}
    available = []

    def on_pod(pod, now):
        pod_name = (pod.get("metadata") or {}).get("name")
        if not pod_name or not pod_name.startswith(name + "-"):
            return
        node = (pod.get("spec") or {}).get("nodeName")
        with lock:
            created.setdefault(pod_name, now)
            if node:
                bound.setdefault(pod_name, now)
                node_of[pod_name] = node
            if is_running(pod):
                running.setdefault(pod_name, now)
            if is_ready(pod):
                ready.setdefault(pod_name, now)

    def on_deployment(deployment, now):
        if (deployment.get("metadata") or {}).get("name") == name and rollout_complete(deployment) and not available:
            available.append(now)
            done.set()

    watches = [Recorder(api, f"/api/v1/namespaces/{NAMESPACE}/pods", pods_rv, on_pod, done),
               Recorder(api, f"/apis/apps/v1/namespaces/{NAMESPACE}/deployments", deployments_rv, on_deployment, done)]
    for watch in watches:
        watch.start()

    started = time.monotonic()
    api.request("POST", f"/apis/apps/v1/namespaces/{NAMESPACE}/deployments", deployment_manifest(name, replicas, image))
    posted = time.monotonic()
    # kubectl's own verdict, beside ours: it starts when the Deployment exists and exits 0 when
    # its status viewer says the rollout is complete.
    rollout = subprocess.Popen([kubectl, "--kubeconfig", kubeconfig, "-n", NAMESPACE, "rollout", "status",
                                f"deployment/{name}", f"--timeout={int(timeout)}s"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    kubectl_exit = []

    def wait_kubectl():
        _, error = rollout.communicate()
        kubectl_exit.append((time.monotonic(), rollout.returncode, error.decode(errors="replace").strip()))

    waiter = threading.Thread(target=wait_kubectl, daemon=True)
    waiter.start()

    if not done.wait(timeout):
        with lock:
            summary = f"{len(created)} created, {len(bound)} bound, {len(running)} running, {len(ready)} ready"
        raise SystemExit(f"deployment-client: not Available after {timeout:.0f} s ({summary})")
    for watch in watches:
        if watch.failure:
            raise SystemExit(f"deployment-client: {watch.failure}")
    waiter.join(timeout=60)
    if not kubectl_exit or kubectl_exit[0][1] != 0:
        raise SystemExit(f"deployment-client: kubectl rollout status failed: {kubectl_exit}")
    # Availability can be reported before the watch has shown every pod's last change; give the
    # pod watch a moment to catch up so the per-pod figures are complete.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with lock:
            if len(ready) >= replicas and len(running) >= replicas:
                break
        time.sleep(0.05)

    def ms(t):
        return f"{(t - started) * 1000:.1f}"

    with lock:
        names = sorted(created)
        complete = all(n in bound and n in running and n in ready for n in names)
        if len(names) != replicas or not complete:
            raise SystemExit(f"deployment-client: {len(names)} pods seen ({len(bound)} bound, {len(running)} running, "
                             f"{len(ready)} ready) of {replicas}")
        print(f"posted,{ms(posted)}")
        print(f"created,{ms(max(created.values()))}")
        print(f"bound,{ms(max(bound.values()))}")
        print(f"running,{ms(max(running.values()))}")
        print(f"ready,{ms(max(ready.values()))}")
        print(f"available,{ms(available[0])}")
        print(f"kubectl,{ms(kubectl_exit[0][0])}")
        nodes = sorted(set(node_of.values()))
        for node in nodes:
            on = [n for n in names if node_of.get(n) == node]
            gaps = sorted(running[n] - bound[n] for n in on if n in running)
            p50 = gaps[(len(gaps) - 1) // 2] * 1000 if gaps else 0
            print(f"node,{node},{len(on)},{ms(min(bound[n] for n in on))},{ms(max(bound[n] for n in on))},"
                  f"{ms(min(running[n] for n in on))},{ms(max(running[n] for n in on))},{p50:.1f}")
        for n in names:
            print(f"pod,{n},{node_of.get(n, '')},{ms(created[n])},{ms(bound[n])},{ms(running[n])},{ms(ready[n])}")
    sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv)
