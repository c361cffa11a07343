"""What the process-level tests (power loss, cluster) share: a failure type, bounded waiting, one JSON request."""
import http.client
import json
import socket
import time


class Failure(Exception):
    """A promise the test checks was broken (or could not be checked)."""


def wait_for(condition, what, attempts=600, pause=0.05):
    """Polls `condition` a bounded number of times (a busy machine gets generous bounds, never a fixed sleep);
    returns its first true value, or raises `Failure` naming `what`."""
    for _ in range(attempts):
        value = condition()
        if value:
            return value
        time.sleep(pause)
    raise Failure(f"gave up waiting for {what}")


def free_port():
    """A TCP port free on loopback right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def request_json(port, method, path, body=None, token=None, timeout=30):
    """One JSON request to 127.0.0.1:`port` on a connection of its own: (status, decoded body or None, headers)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    try:
        connection.request(method, path, json.dumps(body) if body is not None else None, headers)
        response = connection.getresponse()
        payload = response.read()
        try:
            decoded = json.loads(payload) if payload else None
        except ValueError:
            decoded = None
        return response.status, decoded, response.headers
    finally:
        connection.close()
