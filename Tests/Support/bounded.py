"""What the process-level tests (power loss, cluster) share: a failure type and bounded waiting."""
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
