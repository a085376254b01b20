"""A kubeconfig read with the standard library only: how every bench client reaches the API
server (its address, a TLS context trusting the cluster CA, the user's credentials).

    from kubeconfig import Kubeconfig
    api = Kubeconfig(path); connection = api.connect(); headers = {**api.auth, ...}
"""

import base64
import http.client
import json
import ssl
import tempfile
import urllib.parse


class Kubeconfig:
    def __init__(self, path):
        with open(path) as f:
            config = json.load(f)
        cluster = config["clusters"][0]["cluster"]
        user = config["users"][0]["user"]
        # The admin kubeconfig holds a client certificate (system:masters); a token one still works.
        self.auth = {"Authorization": "Bearer " + user["token"]} if "token" in user else {}
        url = urllib.parse.urlparse(cluster["server"])
        self.host, self.port = url.hostname, url.port or 443
        self.context = ssl.create_default_context(cafile=_pem_file(cluster["certificate-authority-data"]))
        if "client-certificate-data" in user:
            self.context.load_cert_chain(_pem_file(user["client-certificate-data"], user["client-key-data"]))

    def connect(self, timeout=30):
        return http.client.HTTPSConnection(self.host, self.port, context=self.context, timeout=timeout)


def _pem_file(*base64_blocks):
    """ssl wants files: the decoded PEM blocks written to one temporary file, its path."""
    pem = tempfile.NamedTemporaryFile("w", suffix=".pem", delete=False)
    for block in base64_blocks:
        pem.write(base64.b64decode(block).decode())
    pem.close()
    return pem.name
