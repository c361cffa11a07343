#!/usr/bin/env python3
"""Power-loss test: the real `tessera serve` on crashfs (a file system that drops what was not made durable),
under writing clients, with the power cut at random moments; every acknowledged change must survive.

Two models are run: "data" (file contents durable only at fsync, directory entries at once) and "strict"
(directory entries durable only at an fsync of their directory too). Each cut: Tessera is killed, crashfs drops
its volatile state (sometimes keeping a random in-order prefix of each file's un-synced writes: a torn tail),
the file system is mounted again over what was durable, Tessera restarts on it, and every change a client saw
acknowledged (registrations, sessions, profile updates) is checked; an update in flight at the cut may or may not
be there. Small log segments and frequent snapshots make segment rollover, snapshots, the manifest and segment
and snapshot deletion happen under the cuts; the test fails if they did not.

First, a sanity check that the model can fail: a write without fsync, and a new file whose directory was not
synced, are lost at a cut while synced ones survive; and Tessera run with `--durability none` (acknowledging
before any fsync) loses acknowledged changes.

Needs /dev/fuse, Debian's fuse3 (fusermount3, libfuse3) and mfusepy from PyPI; `make deps` installs them.
Usage: power_loss.py --binary .build/debug/tessera [--cuts 25] [--seed 1] [--models data,strict]
Prints `N passed, N failed` at the end; exits non-zero on any loss.
"""
import argparse
import http.client
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Support"))
from bounded import Failure, request_json, wait_for  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
PASSWORD = "Correct-Horse-42"
ROOT = "root@example.com"
WRITERS = 4


class CrashFS:
    """One mount of crashfs over a backing folder; `cut` ends it as a power loss would."""

    def __init__(self, backing, mountpoint, strict, work):
        self.backing, self.mountpoint, self.strict = backing, mountpoint, strict
        self.control = os.path.join(work, "crashfs.sock")
        self.log = open(os.path.join(work, "crashfs.log"), "a")
        self.process = None

    def mount(self):
        if os.path.exists(self.control):
            os.unlink(self.control)
        arguments = [sys.executable, os.path.join(HERE, "crashfs.py"), self.backing, self.mountpoint,
                     "--control", self.control] + (["--strict"] if self.strict else [])
        self.process = subprocess.Popen(arguments, stdout=self.log, stderr=self.log)
        wait_for(lambda: os.path.ismount(self.mountpoint) and os.path.exists(self.control), "crashfs to mount")

    def command(self, line):
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        connection.settimeout(60)
        connection.connect(self.control)
        connection.sendall((line + "\n").encode())
        answer = connection.makefile().readline()
        connection.close()
        return answer

    def stats(self):
        return json.loads(self.command("stats"))

    def cut(self, seed, tear):
        """The power goes: what was not durable is gone; the mount with it."""
        answer = self.command(f"cut {seed} {1 if tear else 0}")
        if answer.strip() != "ok":
            raise Failure(f"crashfs did not cut: {answer!r}")
        self.process.wait(timeout=60)
        self.unmount()

    def unmount(self):
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=60)
        subprocess.run(["fusermount3", "-u", "-z", self.mountpoint], stderr=subprocess.DEVNULL)
        wait_for(lambda: not os.path.ismount(self.mountpoint), "crashfs to unmount")


class Server:
    """`tessera serve` on the crashfs mount."""

    def __init__(self, binary, data, work, extra):
        self.binary, self.data, self.work, self.extra = binary, data, work, extra
        self.process, self.port, self.starts = None, 0, 0

    def start(self):
        self.starts += 1
        self.log_path = os.path.join(self.work, f"serve-{self.starts}.log")
        env = dict(os.environ, TESSERA_FIRST_SUPERUSER_EMAIL=ROOT, TESSERA_FIRST_SUPERUSER_PASSWORD=PASSWORD)
        with open(self.log_path, "w") as log:
            self.process = subprocess.Popen(
                [self.binary, "serve", "--data", self.data, "--port", "0", "--bcrypt-cost", "4", "--shards", "4",
                 "--rate-limit", "off", "--segment-size-bytes", str(256 << 10), "--snapshot-every-records", "250",
                 "--keep-snapshots", "2"] + self.extra, stdout=log, stderr=log, env=env)

        def started():
            text = open(self.log_path).read()
            marker = "serving on http://127.0.0.1:"
            if marker in text:
                return int(text.split(marker, 1)[1].split(" ", 1)[0].rstrip(","))
            if self.process.poll() is not None:
                raise Failure(f"tessera serve exited at start ({self.process.returncode}):\n{text}")
            return None

        self.port = wait_for(started, "tessera serve to start", attempts=1200)

    def kill(self):
        if self.process and self.process.poll() is None:
            self.process.kill()
        if self.process:
            self.process.wait(timeout=60)

    def request(self, method, path, body=None, token=None):
        status, answer, _ = request_json(self.port, method, path, body, token)
        return status, answer


class Ledger:
    """What the clients saw acknowledged, and what they sent without seeing an answer."""

    def __init__(self):
        self.lock = threading.Lock()
        self.users = {}  # email -> {"acked": version or None, "sent": version, "token": access token or None}
        self.acknowledged = 0

    def count(self):
        with self.lock:
            return self.acknowledged


class Writers:
    """Clients that register, log in and update their profile, recording every acknowledgement."""

    def __init__(self, server, ledger, seed):
        self.server, self.ledger, self.seed = server, ledger, seed
        self.open = threading.Event()  # cleared while the power is cut and the state is checked
        self.idle = [threading.Event() for _ in range(WRITERS)]
        self.stopping = False
        self.threads = [threading.Thread(target=self.run, args=(index,), daemon=True) for index in range(WRITERS)]

    def start(self):
        self.open.set()
        for thread in self.threads:
            thread.start()

    def pause(self):
        """Stops new requests; a request in flight when the server is killed ends in an error."""
        self.open.clear()

    def wait_idle(self):
        for event in self.idle:
            wait_for(event.is_set, "writers to pause", attempts=2400)

    def resume(self):
        for event in self.idle:
            event.clear()
        self.open.set()

    def stop(self):
        self.stopping = True
        self.open.set()
        for thread in self.threads:
            thread.join(timeout=120)

    def run(self, index):
        chooser = random.Random(self.seed * 100 + index)
        mine = []
        serial = 0
        while not self.stopping:
            if not self.open.is_set():
                self.idle[index].set()
                self.open.wait()
                continue
            try:
                if not mine or chooser.random() < 0.1:
                    serial += 1
                    email = f"w{index}-{serial}@example.com"
                    with self.ledger.lock:
                        self.ledger.users[email] = {"registered": False, "acked": None, "sent": 0, "token": None}
                    status, _ = self.server.request("POST", "/api/v1/auth/register",
                                                    {"email": email, "password": PASSWORD, "first_name": "v0"})
                    if status != 201:
                        raise Failure(f"register {email}: {status}")
                    with self.ledger.lock:
                        self.ledger.users[email].update(registered=True, acked=0)
                        self.ledger.acknowledged += 1
                    status, body = self.server.request("POST", "/api/v1/auth/login", {"email": email, "password": PASSWORD})
                    if status != 200:
                        raise Failure(f"login {email}: {status}")
                    with self.ledger.lock:
                        self.ledger.users[email]["token"] = body["access_token"]
                        self.ledger.acknowledged += 1
                    mine.append(email)
                else:
                    email = chooser.choice(mine)
                    with self.ledger.lock:
                        entry = self.ledger.users[email]
                        entry["sent"] += 1
                        version, token = entry["sent"], entry["token"]
                    # Padded, so that records are a few hundred bytes and the small segments roll over often.
                    first_name = f"v{version}-" + "x" * 80
                    status, _ = self.server.request("PATCH", "/api/v1/users/me", {"first_name": first_name}, token)
                    if status != 200:
                        raise Failure(f"update {email}: {status}")
                    with self.ledger.lock:
                        entry["acked"] = max(entry["acked"], version)
                        self.ledger.acknowledged += 1
            except (OSError, http.client.HTTPException):
                # The server was killed mid-request: the outcome is unknown, as the ledger already allows. The
                # loop's top waits while the power is out.
                time.sleep(0.01)
            except Failure as failure:
                if self.open.is_set():
                    print(f"writer {index}: {failure}", flush=True)
                    self.stopping = True
                    raise


def verify(server, ledger):
    """Every acknowledged change is there; an unacknowledged update may be. Returns (checked, lost)."""
    lost = []
    checked = 0
    with ledger.lock:
        users = {email: dict(entry) for email, entry in ledger.users.items()}
    for email, entry in users.items():
        if not entry["registered"]:
            continue  # its registration was in flight at a cut: either outcome is right
        checked += 1
        if entry["token"]:
            status, body = server.request("GET", "/api/v1/users/me", token=entry["token"])
            if status != 200:
                lost.append(f"{email}: the acknowledged session is gone ({status})")
                continue
            version = int(body["first_name"][1:].split("-", 1)[0])
            if not entry["acked"] <= version <= entry["sent"]:
                lost.append(f"{email}: first_name v{version}, acknowledged v{entry['acked']}, sent up to v{entry['sent']}")
        else:
            status, _ = server.request("POST", "/api/v1/auth/login", {"email": email, "password": PASSWORD})
            if status != 200:
                lost.append(f"{email}: the acknowledged registration is gone ({status})")
    return checked, lost


def listing(path):
    try:
        return set(os.listdir(path))
    except FileNotFoundError:
        return set()


def run_model(binary, strict, cuts, seed, work, extra=(), expect_loss=False):
    """One model: a fresh data directory on crashfs, `cuts` power cuts under load. Returns a summary dict."""
    name = ("strict" if strict else "data") + ("-nofsync" if expect_loss else "")
    folder = os.path.join(work, name)
    backing, mountpoint = os.path.join(folder, "backing"), os.path.join(folder, "mnt")
    os.makedirs(backing)
    os.makedirs(mountpoint)
    chooser = random.Random(seed)
    fs = CrashFS(backing, mountpoint, strict, folder)
    fs.mount()
    server = Server(binary, os.path.join(mountpoint, "data"), folder, list(extra))
    server.start()
    ledger = Ledger()
    writers = Writers(server, ledger, seed)
    writers.start()
    segments_ever, segments_before, snapshots_before = set(), set(), set()
    segments_deleted, snapshots_deleted, lost_total, checked = 0, 0, [], 0
    started = time.time()
    try:
        snapshot_directory = os.path.join(mountpoint, "data/snapshots")
        for cut in range(cuts):
            if cut % 3 == 2 and not expect_loss:
                # Near a checkpoint: once a snapshot newer than those at the last start exists (the manifest, the
                # deletion of the oldest snapshot and of covered segments follow it), a few changes more.
                known = listing(snapshot_directory)
                wait_for(lambda: {n for n in listing(snapshot_directory) if n.endswith(".snap")} - known
                         or writers.stopping, "a new snapshot", attempts=6000)
                target = ledger.count() + chooser.randrange(0, 60)
            else:
                target = ledger.count() + chooser.randrange(100, 500)
            wait_for(lambda: ledger.count() >= target or writers.stopping, "acknowledged changes", attempts=6000)
            if writers.stopping:
                raise Failure("a writer failed (see above)")
            stats = fs.stats()
            server.kill()  # the power goes: the process first, then the page cache
            writers.pause()
            fs.cut(seed * 1000 + cut, tear=not expect_loss and chooser.random() < 0.5)
            writers.wait_idle()
            fs.mount()
            server.start()
            checked, lost = verify(server, ledger)
            lost_total += [f"cut {cut + 1}: {line}" for line in lost]
            segments = {n for n in listing(os.path.join(mountpoint, "data/wal")) if n.startswith("wal-") and n.endswith(".log")}
            snapshots = {n for n in listing(os.path.join(mountpoint, "data/snapshots")) if n.endswith(".snap")}
            # Deleted between two restarts: there at the one before, gone now.
            segments_deleted += len(segments_before - segments)
            snapshots_deleted += len(snapshots_before - snapshots)
            segments_before, snapshots_before = segments, snapshots
            segments_ever |= segments
            print(f"  {name} cut {cut + 1}/{cuts}: {ledger.count()} acknowledged so far, {checked} users checked, "
                  f"{len(lost)} lost; segments {sorted(segments)}, snapshots {len(snapshots)}; "
                  f"fs {stats['fsync']} fsyncs, {stats['fsyncdir']} directory syncs", flush=True)
            if lost:
                break
            writers.resume()
    finally:
        writers.pause()
        server.kill()
        writers.stop()
        fs.unmount()
    return {"model": name, "cuts": cut + 1, "acknowledged": ledger.count(), "users": checked, "lost": lost_total,
            "segments_deleted": segments_deleted, "snapshots_deleted": snapshots_deleted,
            "segments_created": len(segments_ever),
            "seconds": round(time.time() - started, 1)}


def sanity(work):
    """The model loses what was not made durable, and keeps what was."""
    folder = os.path.join(work, "sanity")
    backing, mountpoint = os.path.join(folder, "backing"), os.path.join(folder, "mnt")
    os.makedirs(backing)
    os.makedirs(mountpoint)
    fs = CrashFS(backing, mountpoint, True, folder)
    fs.mount()

    def write(name, content, sync_file, sync_directory):
        descriptor = os.open(os.path.join(mountpoint, name), os.O_WRONLY | os.O_CREAT, 0o600)
        os.write(descriptor, content)
        if sync_file:
            os.fsync(descriptor)
        os.close(descriptor)
        if sync_directory:
            directory = os.open(mountpoint, os.O_RDONLY | os.O_DIRECTORY)
            os.fsync(directory)
            os.close(directory)

    write("synced", b"kept", True, True)
    write("unsynced-data", b"lost", False, True)
    write("unsynced-entry", b"lost", True, False)
    fs.cut(1, tear=False)
    fs.mount()
    names = listing(mountpoint)
    results = {
        "a synced file with a synced directory survives": open(os.path.join(mountpoint, "synced"), "rb").read() == b"kept",
        "a write without fsync is lost": "unsynced-data" in names
        and open(os.path.join(mountpoint, "unsynced-data"), "rb").read() == b"",
        "a new file whose directory was not synced is lost": "unsynced-entry" not in names,
    }
    fs.unmount()
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", required=True)
    parser.add_argument("--cuts", type=int, default=25, help="power cuts per model")
    parser.add_argument("--seed", type=int, default=int(os.environ.get("POWER_LOSS_SEED", "1")))
    parser.add_argument("--models", default="data,strict")
    arguments = parser.parse_args()
    if not os.access("/dev/fuse", os.R_OK | os.W_OK) or not shutil.which("fusermount3"):
        print("the power-loss test needs /dev/fuse (read and write) and fusermount3 (apt-get install fuse3)",
              file=sys.stderr)
        return 2
    binary = os.path.abspath(arguments.binary)
    work = tempfile.mkdtemp(prefix="tessera-power-loss-")
    passed, failed = 0, 0
    started = time.time()
    try:
        print(f"power-loss test, seed {arguments.seed} (POWER_LOSS_SEED), work folder {work}", flush=True)
        for promise, held in sanity(work).items():
            print(f"{'ok  ' if held else 'FAIL'} sanity: {promise}", flush=True)
            passed, failed = passed + held, failed + (not held)
        # No fsync and no snapshot: every change acknowledged since the start is in the page cache alone.
        careless = run_model(binary, True, 1, arguments.seed, work, expect_loss=True,
                             extra=["--durability", "none", "--snapshot-every-records", "1000000"])
        held = bool(careless["lost"])
        print(f"{'ok  ' if held else 'FAIL'} sanity: Tessera acknowledging without fsync (--durability none) loses "
              f"acknowledged changes at a cut ({len(careless['lost'])} lost)", flush=True)
        passed, failed = passed + held, failed + (not held)
        for model in arguments.models.split(","):
            summary = run_model(binary, model == "strict", arguments.cuts, arguments.seed, work)
            exercised = summary["segments_created"] >= 3 and summary["segments_deleted"] >= 1 \
                and summary["snapshots_deleted"] >= 1
            held = not summary["lost"] and exercised
            print(f"{'ok  ' if held else 'FAIL'} {model}: {summary['cuts']} cuts, {summary['acknowledged']} acknowledged "
                  f"changes, {summary['users']} users checked, {len(summary['lost'])} lost; "
                  f"{summary['segments_created']} segment files seen, {summary['segments_deleted']} segment(s) and "
                  f"{summary['snapshots_deleted']} snapshot(s) deleted between cuts; {summary['seconds']} s", flush=True)
            for line in summary["lost"][:20]:
                print("     lost: " + line, flush=True)
            if not exercised:
                print("     the run did not reach segment rollover, segment deletion and snapshot deletion", flush=True)
            passed, failed = passed + held, failed + (not held)
    except Failure as failure:
        print(f"FAIL {failure}", flush=True)
        failed += 1
    finally:
        if failed == 0:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"kept {work} for inspection", flush=True)
    print(f"power-loss test took {time.time() - started:.0f} s")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
