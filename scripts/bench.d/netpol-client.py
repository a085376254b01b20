#!/usr/bin/env python3
"""The timing side of `scripts/bench netpol`: policy programming latency.

Runs inside a client pod's network namespace (nsenter, on node1), so its connections carry the
pod's address (what a pod selector matches) and the API server (on the bridge) is in reach too.

    netpol-client.py KUBECONFIG NAMESPACE TARGET_IP PORT ROUNDS

A default-deny ingress policy isolates TARGET_IP (a pod on node2 accepting and closing at once)
already. Each round:
  create: POST a policy allowing every pod of NAMESPACE in; from the moment the POST's response
          has been read, start a non-blocking connect to TARGET_IP:PORT every POLL_S (a dropped
          SYN is retried by the kernel only after a second, so each attempt is a new socket)
          until one is accepted; timed to that attempt's start (node2's agent has seen the
          policy and nft has the rules by then, within one round trip);
  delete: DELETE that policy; from the response, connect until one goes unanswered for HANG_S
          (its SYN dropped again), timed to that attempt's start.
Prints create,ms,attempts / delete,ms and post,ms (the POST's own round trip).
"""

import json
import select
import socket
import sys
import time

from kubeconfig import Kubeconfig

# One new connect per millisecond: the resolution of the figures, without taking a core.
POLL_S = 0.001
HANG_S = 0.05
TIMEOUT_S = 30


class API:
    def __init__(self, kubeconfig_path):
        kubeconfig = Kubeconfig(kubeconfig_path)
        self.auth = kubeconfig.auth
        self.connection = kubeconfig.connect()

    def call(self, method, path, body, expect):
        headers = {**self.auth, "Accept": "application/json", "Content-Type": "application/json"}
        self.connection.request(method, path, body=json.dumps(body).encode(), headers=headers)
        response = self.connection.getresponse()
        payload = response.read()
        if response.status not in expect:
            raise SystemExit(f"netpol-client: {method} {path}: HTTP {response.status}: {payload[:300]!r}")


def connect(address, port):
    """True when accepted, False when refused, None when nothing answers within HANG_S."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(HANG_S)
        try:
            s.connect((address, port))
            return True
        except ConnectionRefusedError:
            return False
        except socket.timeout:
            return None


def first_accepted(address, port, since):
    """Starts a connect every POLL_S; returns (ms from `since` to the start of the first attempt
    that was accepted, attempts started)."""
    pending = {}  # fd -> (socket, start)
    poller = select.poll()
    attempts = 0
    try:
        while True:
            now = time.monotonic()
            if now - since > TIMEOUT_S:
                raise SystemExit("netpol-client: not allowed after 30 s")
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            s.connect_ex((address, port))
            pending[s.fileno()] = (s, now)
            poller.register(s.fileno(), select.POLLOUT)
            attempts += 1
            for fd, _ in poller.poll(POLL_S * 1000):
                sock, start = pending.pop(fd)
                poller.unregister(fd)
                error = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                sock.close()
                if error == 0:
                    return (start - since) * 1000, attempts
            # Attempts older than a second are dropped SYNs: give their sockets back.
            for fd, (sock, start) in list(pending.items()):
                if now - start > 1:
                    poller.unregister(fd)
                    sock.close()
                    del pending[fd]
    finally:
        for sock, _ in pending.values():
            sock.close()


def main():
    if len(sys.argv) != 6:
        raise SystemExit(__doc__)
    kubeconfig, namespace, address, port, rounds = sys.argv[1:]
    port, rounds = int(port), int(rounds)
    api = API(kubeconfig)
    collection = f"/apis/networking.k8s.io/v1/namespaces/{namespace}/networkpolicies"
    policy = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "bench-allow"},
              "spec": {"podSelector": {}, "ingress": [{"from": [{"podSelector": {}}]}]}}
    start = time.monotonic()
    while connect(address, port) is not None:
        if time.monotonic() - start > TIMEOUT_S:
            raise SystemExit("netpol-client: the default-deny policy never took effect")
        time.sleep(0.05)
    for _ in range(rounds):
        sent = time.monotonic()
        api.call("POST", collection, policy, (201,))
        answered = time.monotonic()
        print(f"post,{(answered - sent) * 1000:.3f}")
        ms, attempts = first_accepted(address, port, answered)
        print(f"create,{ms:.3f},{attempts}", flush=True)
        api.call("DELETE", f"{collection}/bench-allow", {}, (200, 202))
        answered = time.monotonic()
        while True:
            tried = time.monotonic()
            if connect(address, port) is None:
                break
            if tried - answered > TIMEOUT_S:
                raise SystemExit("netpol-client: still allowed 30 s after the delete")
            time.sleep(POLL_S)
        print(f"delete,{(tried - answered) * 1000:.3f}", flush=True)


if __name__ == "__main__":
    main()
