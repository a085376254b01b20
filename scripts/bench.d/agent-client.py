#!/usr/bin/env python3
"""The Kubernetes-API side of `scripts/bench agent`: pod create -> Running latency.

Talks to a running `skiff server` with nothing but the standard library (one keep-alive HTTPS
connection for writes, one watch stream), so the client's own cost stays small next to the agent
on a 2-core machine. "Running" is the first watch event in which the pod's phase is Running and
every container reports a running state: what `kubectl get pods` shows as Running.

    agent-client.py KUBECONFIG sequential N IMAGE   -> one line per pod: name,latency_ms
    agent-client.py KUBECONFIG burst N IMAGE        -> per-pod lines, then total,ms
    agent-client.py KUBECONFIG delete-all           -> deletes every pod in the bench namespace
Pods go to namespace "bench" (created if missing) and run `sleep 3600`; they keep running after
the measurement so the caller can read the agent's memory with them in place.
"""

import http.client
import json
import sys
import threading
import time

from kubeconfig import Kubeconfig

NAMESPACE = "bench"


class API:
    def __init__(self, kubeconfig_path):
        self.kubeconfig = Kubeconfig(kubeconfig_path)
        self.auth = self.kubeconfig.auth
        self.connection = self.connect()

    def connect(self, timeout=60):
        return self.kubeconfig.connect(timeout)

    def request(self, method, path, body=None, ok=(200, 201, 202)):
        headers = {**self.auth, "Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        for attempt in range(2):
            try:
                self.connection.request(method, path, body=data, headers=headers)
                response = self.connection.getresponse()
                payload = response.read()
                break
            except (http.client.HTTPException, OSError):
                # The server may close an idle keep-alive connection; one reconnect, then fail.
                if attempt:
                    raise
                self.connection.close()
                self.connection = self.connect()
        if response.status not in ok:
            raise SystemExit(f"agent-client: {method} {path}: HTTP {response.status}: {payload[:300]!r}")
        return json.loads(payload) if payload else None

    def ensure_namespace(self):
        self.request("POST", "/api/v1/namespaces",
                     {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}},
                     ok=(200, 201, 409))

    def pods_resource_version(self):
        return self.request("GET", f"/api/v1/namespaces/{NAMESPACE}/pods")["metadata"]["resourceVersion"]


def pod_manifest(name, image):
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": NAMESPACE, "labels": {"app": "skiff-bench"}},
        "spec": {
            "terminationGracePeriodSeconds": 1,
            "containers": [{"name": "c", "image": image, "imagePullPolicy": "Never",
                            "command": ["sleep", "3600"]}],
        },
    }


def is_running(pod):
    status = pod.get("status") or {}
    containers = status.get("containerStatuses") or []
    return (status.get("phase") == "Running" and len(containers) > 0
            and all("running" in (c.get("state") or {}) for c in containers))


class RunningWatch(threading.Thread):
    """Records, per pod name, the monotonic time of the first event that shows it Running."""

    def __init__(self, api, resource_version):
        super().__init__(daemon=True)
        self.api, self.resource_version = api, resource_version
        self.running = {}
        self.changed = threading.Condition()
        self.failure = None

    def run(self):
        try:
            connection = self.api.connect(timeout=600)
            path = (f"/api/v1/namespaces/{NAMESPACE}/pods?watch=1&resourceVersion={self.resource_version}"
                    "&timeoutSeconds=590")
            connection.request("GET", path, headers=self.api.auth)
            response = connection.getresponse()
            if response.status != 200:
                raise RuntimeError(f"watch: HTTP {response.status}: {response.read()[:300]!r}")
            while True:
                line = response.readline()
                if not line:
                    raise RuntimeError("watch stream ended")
                now = time.monotonic()
                event = json.loads(line)
                pod = event.get("object") or {}
                name = (pod.get("metadata") or {}).get("name")
                if event.get("type") in ("ADDED", "MODIFIED") and name and is_running(pod):
                    with self.changed:
                        self.running.setdefault(name, now)
                        self.changed.notify_all()
        except Exception as error:  # reported by wait_for; the measurement cannot go on without it
            with self.changed:
                self.failure = error
                self.changed.notify_all()

    def wait_for(self, names, timeout):
        deadline = time.monotonic() + timeout
        with self.changed:
            while not all(name in self.running for name in names):
                if self.failure:
                    raise SystemExit(f"agent-client: {self.failure}")
                left = deadline - time.monotonic()
                if left <= 0:
                    missing = [name for name in names if name not in self.running]
                    raise SystemExit(f"agent-client: {len(missing)} pods not Running after {timeout} s: {missing[:5]}")
                self.changed.wait(left)
            return {name: self.running[name] for name in names}


def create_pod(api, name, image):
    api.request("POST", f"/api/v1/namespaces/{NAMESPACE}/pods", pod_manifest(name, image))


def sequential(api, count, image):
    watch = RunningWatch(api, api.pods_resource_version())
    watch.start()
    for index in range(count):
        name = f"seq-{index}"
        started = time.monotonic()
        create_pod(api, name, image)
        running = watch.wait_for([name], timeout=60)[name]
        print(f"{name},{(running - started) * 1000:.1f}", flush=True)


def burst(api, count, image):
    watch = RunningWatch(api, api.pods_resource_version())
    watch.start()
    names = [f"burst-{index}" for index in range(count)]
    created = {}
    started = time.monotonic()
    # Four writers, as a Deployment's controller or `kubectl apply -f dir/` would not send one at a time.
    def writer(part):
        client = API.__new__(API)
        client.__dict__.update(api.__dict__)
        client.connection = api.connect()
        for name in part:
            created[name] = time.monotonic()
            create_pod(client, name, image)
    writers = [threading.Thread(target=writer, args=(names[i::4],)) for i in range(4)]
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join()
    running = watch.wait_for(names, timeout=120)
    for name in names:
        print(f"{name},{(running[name] - created[name]) * 1000:.1f}")
    print(f"total,{(max(running.values()) - started) * 1000:.1f}", flush=True)


def delete_all(api):
    pods = api.request("GET", f"/api/v1/namespaces/{NAMESPACE}/pods")["items"]
    for pod in pods:
        api.request("DELETE", f"/api/v1/namespaces/{NAMESPACE}/pods/{pod['metadata']['name']}", ok=(200, 202, 404))
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if not api.request("GET", f"/api/v1/namespaces/{NAMESPACE}/pods")["items"]:
            return
        time.sleep(0.5)
    raise SystemExit("agent-client: pods still listed 180 s after delete")


def main(argv):
    if len(argv) < 3:
        raise SystemExit(__doc__)
    api = API(argv[1])
    api.ensure_namespace()
    mode = argv[2]
    if mode in ("sequential", "burst") and len(argv) == 5:
        (sequential if mode == "sequential" else burst)(api, int(argv[3]), argv[4])
    elif mode == "delete-all" and len(argv) == 3:
        delete_all(api)
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
