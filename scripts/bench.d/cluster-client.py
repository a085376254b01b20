#!/usr/bin/env python3
"""The timing side of `scripts/bench cluster-network`: service programming latency.

Runs inside a cluster host's network namespace (`scripts/cluster exec node1 ...`), so the API
server (on the bridge) and the Service's ClusterIP (programmed by that host's agent) are both in
reach of one process with one clock.

    cluster-client.py KUBECONFIG NAMESPACE SLICE VIP PORT ENDPOINT_IP TARGET_PORT ROUNDS

The selector-less Service and its EndpointSlice SLICE (no endpoints: the proxy rejects a
connection to the VIP at once) exist already. Each round:
  add:    PATCH the slice to list ENDPOINT_IP; from the moment the PATCH's response has been read,
          connect to VIP:PORT every POLL_S until a connection is accepted (the endpoint, a pod's
          listener on TARGET_PORT, answered through the new rules);
  remove: PATCH the slice back to no endpoints; from the response, connect until one is refused.
A connection attempt that gets no answer in HANG_S (its SYN dropped, not refused: the VIP leads
nowhere for a moment) is abandoned and counted; the next attempt follows at once.
Prints one line per measurement: add,ms,hung / remove,ms,hung (hung: attempts abandoned while
waiting), and patch,ms: the PATCH's own round trip.
"""

import json
import socket
import sys
import time

from kubeconfig import Kubeconfig

# A busy loop with no pause would take a whole core from the agent it is timing on a 2-core
# machine; half a millisecond keeps the precision well under the figures measured.
POLL_S = 0.0005
HANG_S = 0.05
TIMEOUT_S = 30


class API:
    def __init__(self, kubeconfig_path):
        kubeconfig = Kubeconfig(kubeconfig_path)
        self.auth = kubeconfig.auth
        self.connection = kubeconfig.connect()

    def patch(self, path, body):
        headers = {**self.auth, "Accept": "application/json",
                   "Content-Type": "application/merge-patch+json"}
        self.connection.request("PATCH", path, body=json.dumps(body).encode(), headers=headers)
        response = self.connection.getresponse()
        payload = response.read()
        if response.status != 200:
            raise SystemExit(f"cluster-client: PATCH {path}: HTTP {response.status}: {payload[:300]!r}")


def connect(vip, port):
    """True when a TCP connection to vip:port is accepted, False when it is refused, None when
    nothing answers within HANG_S."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(HANG_S)
        try:
            s.connect((vip, port))
            return True
        except ConnectionRefusedError:
            return False
        except socket.timeout:
            return None


def wait_until(vip, port, want, start):
    """Milliseconds from `start` until connect() gives `want`, and the attempts that hung."""
    hung = 0
    while True:
        answer = connect(vip, port)
        if answer == want:
            return (time.monotonic() - start) * 1000, hung
        if answer is None:
            hung += 1
            continue
        if time.monotonic() - start > TIMEOUT_S:
            state = "accepted" if want else "refused"
            raise SystemExit(f"cluster-client: {vip}:{port} not {state} after {TIMEOUT_S} s")
        time.sleep(POLL_S)


def main():
    if len(sys.argv) != 9:
        raise SystemExit(__doc__)
    kubeconfig, namespace, slice_name, vip, port, endpoint_ip, target_port, rounds = sys.argv[1:]
    port, target_port, rounds = int(port), int(target_port), int(rounds)
    api = API(kubeconfig)
    path = f"/apis/discovery.k8s.io/v1/namespaces/{namespace}/endpointslices/{slice_name}"
    add = {"endpoints": [{"addresses": [endpoint_ip], "conditions": {"ready": True}}],
           "ports": [{"name": "http", "port": target_port, "protocol": "TCP"}]}
    remove = {"endpoints": []}
    # The starting state: the agent has programmed the Service with no endpoints.
    wait_until(vip, port, False, time.monotonic())
    for _ in range(rounds):
        for name, body, want in (("add", add, True), ("remove", remove, False)):
            sent = time.monotonic()
            api.patch(path, body)
            answered = time.monotonic()
            print(f"patch,{(answered - sent) * 1000:.3f}")
            ms, hung = wait_until(vip, port, want, answered)
            print(f"{name},{ms:.3f},{hung}", flush=True)


if __name__ == "__main__":
    main()
