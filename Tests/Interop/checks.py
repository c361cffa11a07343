"""What every interoperability script of this folder does alike: state a check (printing `ok: …`, or `FAILED: …` and
exit 1), find a free loopback port, and wait — bounded, by polling a condition, never for a fixed time."""
import socket
import sys
import time


def check(condition, what):
    if not condition:
        print(f"FAILED: {what}", flush=True)
        sys.exit(1)
    print(f"ok: {what}", flush=True)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(condition, what, seconds=60):
    """Polls `condition` until it holds (at most `seconds`, however busy the machine), else fails `what`."""
    for _ in range(int(seconds * 20)):
        if condition():
            return
        time.sleep(0.05)
    check(False, what)
