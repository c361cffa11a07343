#!/usr/bin/env python3
"""Cluster test: a private PostgreSQL and three `tessera serve --cluster` processes on loopback, driven over HTTP
the way clients and an operator's accidents drive them.

- bad options: a cluster option that cannot work is refused at start, naming it.
- OAuth client through a follower: authlib and PyJWT run Tests/Interop/authlib_flow.py against a follower.
- crash: writers register, sign in, refresh and sign out through any node and record what was acknowledged; the
  leader is killed (SIGKILL) round after round and started again; a follower must lead within the lease plus a
  margin, and at the end every node holds every acknowledged change (users there, revoked tokens refused, live
  ones accepted).
- pause: the leader is stopped (SIGSTOP) past its lease with a refresh of a token waiting in its socket; a
  follower takes over and rotates that token; the old leader, continued, must not acknowledge its rotation (two
  acknowledged rotations of one token would be two leaders), and rejoins as a follower.
- database down: PostgreSQL stopped, writes answer 503 with Retry-After and reads still answer on every node;
  started again, writes go on.
- revocation across nodes: a sign-out on one node makes the token refused on every node once they applied it;
  the time until the last node refuses it is printed.
- snapshot bootstrap: the leader's checkpoints are stored in PostgreSQL and prune its log; a fourth node with an
  empty data directory starts from the newest snapshot, catches up, and has every user.
- damaged cluster log: a changed byte in a stored batch stops a node that applies it, with a clear error.
- replay from the cluster: `tessera replay --cluster` rebuilds the state at an LSN from the cluster's log (before any
  snapshot is stored) and from the stored snapshot and the log after it; served, it has the user made before that LSN and not the one made after.

Needs Debian's postgresql (initdb, pg_ctl; run as the `postgres` user when this runs as root); `make deps`
installs it. Usage: cluster_nodes.py --binary .build/debug/tessera [--rounds 3]
Prints `N passed, N failed` at the end; exits non-zero on any failure.
"""
import argparse
import glob
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Support"))
from bounded import Failure, free_port, request_json, wait_for  # noqa: E402

PASSWORD = "Correct-Horse-42"
ROOT = "root@example.com"
# The issuer every node signs with: the second node's address (set once the ports are chosen), so that a real
# OAuth client that follows the metadata talks to a follower.
ISSUER = None
HERE = os.path.dirname(os.path.abspath(__file__))
LEASE_MILLISECONDS = 2500


class Postgres:
    """A private PostgreSQL in a temporary folder, listening on a Unix socket there only."""

    def __init__(self, work):
        self.folder = os.path.join(work, "postgres")
        os.makedirs(self.folder)
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
        if not bins:
            raise Failure("PostgreSQL is not installed (make deps installs Debian's postgresql)")
        self.bin = bins[-1]
        self.as_root = os.geteuid() == 0
        if self.as_root:
            shutil.chown(work, "postgres")
            shutil.chown(self.folder, "postgres")
        self.run("initdb", "-D", self.data, "-U", "tessera", "--auth=trust", "--no-sync")

    @property
    def data(self):
        return os.path.join(self.folder, "data")

    def run(self, program, *arguments):
        command = [os.path.join(self.bin, program), *arguments]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--"] + command
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300)

    def query(self, sql):
        """One value, as text, of a query on the cluster's database."""
        command = [os.path.join(self.bin, "psql"), "-h", self.folder, "-U", "tessera", "-d", "tessera", "-Atc", sql]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--"] + command
        return subprocess.run(command, check=True, capture_output=True, text=True, timeout=60).stdout.strip()

    def start(self):
        self.run("pg_ctl", "-D", self.data, "-w", "-t", "300", "-l", os.path.join(self.folder, "log"),
                 "-o", f"-k {self.folder} -c listen_addresses=''", "start")

    def stop(self):
        self.run("pg_ctl", "-D", self.data, "-w", "-t", "300", "-m", "fast", "stop")

    def create_database(self):
        self.run("createdb", "-h", self.folder, "-U", "tessera", "tessera")

    @property
    def url(self):
        return f"postgres://tessera@localhost/tessera?host={self.folder}"


class Node:
    """One `tessera serve --cluster` process."""

    def __init__(self, name, binary, work, cluster_url):
        self.name, self.binary, self.cluster_url = name, binary, cluster_url
        self.data = os.path.join(work, name)
        self.work = work
        self.port = free_port()
        self.process, self.starts = None, 0

    @property
    def address(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        self.starts += 1
        log_path = os.path.join(self.work, f"{self.name}-{self.starts}.log")
        env = dict(os.environ, TESSERA_FIRST_SUPERUSER_EMAIL=ROOT, TESSERA_FIRST_SUPERUSER_PASSWORD=PASSWORD)
        with open(log_path, "w") as log:
            self.process = subprocess.Popen(
                [self.binary, "serve", "--log-level", os.environ.get("CLUSTER_TEST_LOG_LEVEL", "info"), "--data", self.data, "--port", str(self.port), "--bcrypt-cost", "4",
                 "--shards", "4", "--rate-limit", "off", "--refresh-grace-seconds", "0", "--issuer", ISSUER,
                 "--signing", "eddsa", "--consent-url", "https://app.example/oauth/consent",
                 "--cluster", self.cluster_url, "--node", self.name, "--advertise", self.address,
                 "--lease-milliseconds", str(LEASE_MILLISECONDS), "--snapshot-every-records", "40"],
                stdout=log, stderr=log, env=env)
        wait_for(lambda: self.health() is not None, f"{self.name} to answer")

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def kill(self):
        if self.alive():
            self.process.kill()
        self.process.wait(timeout=60)

    def stop(self):
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=60)

    def request(self, method, path, body=None, token=None, timeout=30):
        return request_json(self.port, method, path, body, token, timeout)

    def read(self, path, token=None):
        """A GET, tried again while the node is restarting (a fenced node restarts itself): (status, body)."""
        def answered():
            try:
                status, body, _ = self.request("GET", path, token=token)
                return (status, body)
            except OSError:
                return None
        return wait_for(answered, f"{self.name} to answer GET {path}", attempts=600)

    def health(self):
        """The node's cluster object, or None when it does not answer."""
        try:
            status, body, _ = self.request("GET", "/health", timeout=5)
        except OSError:
            return None
        return body.get("cluster") if body else None


class Cluster:
    def __init__(self, nodes):
        self.nodes = nodes

    def leader(self, among=None):
        for node in among or self.nodes:
            if node.alive():
                health = node.health()
                if health and health["role"] == "leader":
                    return node
        return None

    def wait_for_leader(self, among=None, attempts=1200):
        return wait_for(lambda: self.leader(among), "a leader", attempts=attempts)

    def caught_up(self):
        """Waits until every live node applied everything the leader holds."""
        leader = self.wait_for_leader()
        target = leader.health()["applied_lsn"]

        def done():
            for node in self.nodes:
                if not node.alive():
                    continue
                health = node.health()
                if not health or health["applied_lsn"] < target:
                    return False
            return True

        wait_for(done, f"every node to apply LSN {target}")
        return target


class Ledger:
    """What the writers saw acknowledged."""

    def __init__(self):
        self.lock = threading.Lock()
        self.users = {}          # email -> id
        self.sessions = {}       # email -> (access, refresh), the last acknowledged pair
        self.revoked = []        # access tokens of sessions whose logout was acknowledged
        # Users whose session saw an answer other than an acknowledgement: not acknowledged is not "not done" (a
        # refresh may have rotated, then the sign-out with the old token ended the session), so it is not checked.
        self.uncertain = set()
        self.operations = 0

    def count(self):
        with self.lock:
            return self.operations


class Writer(threading.Thread):
    """Registers, signs in, refreshes and signs out through random live nodes, recording each acknowledgement."""

    def __init__(self, cluster, ledger, index):
        super().__init__(daemon=True)
        self.cluster, self.ledger, self.index = cluster, ledger, index
        self.stopping = threading.Event()
        self.random = random.Random(index)

    def node(self):
        live = [node for node in self.cluster.nodes if node.alive()]
        return self.random.choice(live) if live else None

    def call(self, method, path, body=None, token=None):
        node = self.node()
        if node is None:
            return None, None
        try:
            status, answer, _ = node.request(method, path, body, token)
            return status, answer
        except OSError:
            return None, None

    def run(self):
        number = 0
        while not self.stopping.is_set():
            number += 1
            email = f"w{self.index}-{number}@example.com"
            status, answer = self.call("POST", "/api/v1/auth/register",
                                       {"email": email, "password": PASSWORD, "first_name": "W"})
            if status != 201:
                continue
            with self.ledger.lock:
                self.ledger.users[email] = answer["id"]
                self.ledger.operations += 1
            status, answer = self.call("POST", "/api/v1/auth/login", {"email": email, "password": PASSWORD})
            if status != 200:
                continue
            pair = (answer["access_token"], answer["refresh_token"])
            with self.ledger.lock:
                self.ledger.sessions[email] = pair
                self.ledger.operations += 1
            status, answer = self.call("POST", "/api/v1/auth/refresh", {"refresh_token": pair[1]})
            if status != 200:
                with self.ledger.lock:
                    self.ledger.uncertain.add(email)
                continue
            pair = (answer["access_token"], answer["refresh_token"])
            with self.ledger.lock:
                self.ledger.sessions[email] = pair
                self.ledger.operations += 1
            if number % 3 == 0:
                status, _ = self.call("POST", "/api/v1/auth/logout", {"refresh_token": pair[1]}, token=pair[0])
                with self.ledger.lock:
                    if status == 200:
                        del self.ledger.sessions[email]
                        self.ledger.revoked.append(pair[0])
                        self.ledger.operations += 1
                    else:
                        self.ledger.uncertain.add(email)


def admin_token(cluster):
    node = cluster.wait_for_leader()
    status, answer, _ = node.request("POST", "/api/v1/auth/login", {"email": ROOT, "password": PASSWORD})
    if status != 200:
        raise Failure(f"the first superuser cannot sign in: {status} {answer}")
    return answer["access_token"]


def check_everything_acknowledged(cluster, ledger, admin):
    cluster.caught_up()
    with ledger.lock:
        users, revoked = dict(ledger.users), list(ledger.revoked)
        sessions = {email: pair for email, pair in ledger.sessions.items() if email not in ledger.uncertain}
    for node in cluster.nodes:
        for email, user_id in users.items():
            status, _ = node.read(f"/api/v1/users/{user_id}", token=admin)
            if status != 200:
                raise Failure(f"{node.name}: the acknowledged registration of {email} is missing ({status})")
        for token in revoked:
            status, _ = node.read("/api/v1/users/me", token=token)
            if status != 401:
                raise Failure(f"{node.name}: a token whose sign-out was acknowledged still works ({status})")
        for email, (access, _) in sessions.items():
            status, _ = node.read("/api/v1/users/me", token=access)
            if status != 200:
                raise Failure(f"{node.name}: the live session of {email} is refused ({status})")
    return len(users), len(sessions), len(revoked), len(ledger.uncertain)


def scenario_crash(cluster, admin, rounds):
    ledger = Ledger()
    writers = [Writer(cluster, ledger, index) for index in range(2)]
    for writer in writers:
        writer.start()
    gaps = []
    try:
        for round_number in range(rounds):
            before = ledger.count()
            wait_for(lambda: ledger.count() >= before + 12, "the writers to make progress", attempts=2400)
            leader = cluster.wait_for_leader()
            leader.kill()
            killed = time.monotonic()
            others = [node for node in cluster.nodes if node is not leader]
            # Bounded by the lease plus a generous margin: a follower must take over.
            new_leader = cluster.wait_for_leader(among=others, attempts=2400)
            gaps.append(time.monotonic() - killed)
            print(f"  round {round_number + 1}: {leader.name} killed, {new_leader.name} leads after "
                  f"{gaps[-1]:.2f} s", flush=True)
            leader.start()
    finally:
        for writer in writers:
            writer.stopping.set()
        for writer in writers:
            writer.join(timeout=120)
    users, sessions, revoked, uncertain = check_everything_acknowledged(cluster, ledger, admin)
    print(f"  every node holds all {users} acknowledged registrations, {sessions} live sessions "
          f"({uncertain} not checked: a refresh or sign-out answered without acknowledgement), "
          f"{revoked} acknowledged sign-outs; time without a leader {min(gaps):.2f}–{max(gaps):.2f} s "
          f"(lease {LEASE_MILLISECONDS} ms)")


def raw_request(port, method, path, body):
    """Sends a request without reading the answer (the node may be stopped); returns the socket."""
    payload = json.dumps(body).encode()
    connection = socket.create_connection(("127.0.0.1", port), timeout=120)
    connection.sendall(
        f"{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n".encode() + payload)
    return connection


def read_status(connection):
    data = b""
    while b"\r\n" not in data:
        chunk = connection.recv(4096)
        if not chunk:
            break
        data += chunk
    connection.close()
    line = data.split(b"\r\n", 1)[0].decode(errors="replace")
    return int(line.split(" ")[1]) if line.startswith("HTTP/1.1 ") else None


def scenario_pause(cluster):
    leader = cluster.wait_for_leader()
    status, answer, _ = leader.request("POST", "/api/v1/auth/register",
                                       {"email": "paused@example.com", "password": PASSWORD, "first_name": "P"})
    if status != 201:
        raise Failure(f"registration failed: {status} {answer}")
    status, answer, _ = leader.request("POST", "/api/v1/auth/login",
                                       {"email": "paused@example.com", "password": PASSWORD})
    refresh = answer["refresh_token"]
    leader.process.send_signal(signal.SIGSTOP)
    try:
        waiting = raw_request(leader.port, "POST", "/api/v1/auth/refresh", {"refresh_token": refresh})
        others = [node for node in cluster.nodes if node is not leader]
        new_leader = cluster.wait_for_leader(among=others, attempts=2400)
        status, answer, _ = new_leader.request("POST", "/api/v1/auth/refresh", {"refresh_token": refresh})
        if status != 200:
            raise Failure(f"the new leader did not rotate the token: {status} {answer}")
    finally:
        leader.process.send_signal(signal.SIGCONT)
    late = read_status(waiting)
    if late == 200:
        raise Failure("the paused old leader acknowledged a rotation of a token the new leader had rotated")
    print(f"  {leader.name} paused past its lease; {new_leader.name} took over and rotated the token; "
          f"{leader.name}'s late rotation was answered {late}")

    def rejoined():
        health = leader.health()
        return health and health["role"] == "follower" and health.get("leader") == new_leader.address
    wait_for(rejoined, f"{leader.name} to rejoin as a follower", attempts=2400)
    # The token rotated out once: presented again (anywhere), it is refused (and ends the session).
    status, _, _ = leader.request("POST", "/api/v1/auth/refresh", {"refresh_token": refresh})
    if status == 200:
        raise Failure("a rotated-out refresh token was rotated a second time")
    print(f"  {leader.name} restarted and follows {new_leader.name}; the rotated-out token is refused ({status})")


def scenario_database_down(cluster, postgres, admin):
    leader = cluster.wait_for_leader()
    postgres.stop()
    try:
        status, answer, headers = leader.request(
            "POST", "/api/v1/auth/register", {"email": "down@example.com", "password": PASSWORD, "first_name": "D"},
            timeout=120)
        if status != 503 or headers.get("Retry-After") is None:
            raise Failure(f"a write while PostgreSQL is down answered {status} (Retry-After "
                          f"{headers.get('Retry-After')}), not 503 with Retry-After")
        for node in cluster.nodes:
            status, _ = node.read("/api/v1/users/me", token=admin)
            if status != 200:
                raise Failure(f"{node.name} stopped answering reads while PostgreSQL is down ({status})")
    finally:
        postgres.start()
    print("  PostgreSQL down: the write answered 503 with Retry-After; every node answered reads")

    def written():
        node = cluster.leader()
        if node is None:
            return False
        try:
            status, _, _ = node.request("POST", "/api/v1/auth/register",
                                        {"email": f"back-{time.monotonic_ns()}@example.com", "password": PASSWORD,
                                         "first_name": "B"}, timeout=60)
        except OSError:
            return False
        return status == 201
    wait_for(written, "writes to go on once PostgreSQL is back", attempts=600, pause=0.2)
    print("  PostgreSQL back: writes go on")


def scenario_revocation(cluster):
    leader = cluster.wait_for_leader()
    followers = [node for node in cluster.nodes if node is not leader]
    status, _, _ = followers[0].request("POST", "/api/v1/auth/register",
                                        {"email": "revoked@example.com", "password": PASSWORD, "first_name": "R"})
    status, answer, _ = followers[0].request("POST", "/api/v1/auth/login",
                                             {"email": "revoked@example.com", "password": PASSWORD})
    if status != 200:
        raise Failure(f"sign-in through a follower failed: {status} {answer}")
    access, refresh = answer["access_token"], answer["refresh_token"]
    # Read your writes: the follower answered the forwarded sign-in once it had applied it.
    status, _ = followers[0].read("/api/v1/users/me", token=access)
    if status != 200:
        raise Failure(f"{followers[0].name} does not know the session it just answered a sign-in for ({status})")
    cluster.caught_up()
    for node in cluster.nodes:
        status, _ = node.read("/api/v1/users/me", token=access)
        if status != 200:
            raise Failure(f"{node.name} refuses a token another node issued ({status})")
    status, _, _ = followers[1].request("POST", "/api/v1/auth/logout", {"refresh_token": refresh}, token=access)
    if status != 200:
        raise Failure(f"sign-out through a follower failed: {status}")
    acknowledged = time.monotonic()
    refused_after = {}
    for node in cluster.nodes:
        wait_for(lambda: node.read("/api/v1/users/me", token=access)[0] == 401,
                 f"{node.name} to refuse the signed-out token")
        refused_after[node.name] = time.monotonic() - acknowledged
    print("  signed out through " + followers[1].name + "; refused by every node within "
          + ", ".join(f"{name} {seconds * 1000:.0f} ms" for name, seconds in refused_after.items()))


def scenario_snapshot_bootstrap(cluster, postgres, admin, binary, work):
    """Checkpoints are stored in PostgreSQL and prune its log; a new node starts from the newest snapshot."""
    leader = cluster.wait_for_leader()
    users = {}
    batch = 0

    def snapshots_pruned():
        nonlocal batch
        stored = int(postgres.query("SELECT count(*) FROM tessera_snapshot_index"))
        first = int(postgres.query("SELECT coalesce(min(first_lsn), 0) FROM tessera_log"))
        if stored >= 2 and first > 1:
            return stored, first
        # More changes, so that the leader checkpoints again (every 40 records) and stores the snapshot.
        batch += 1
        for index in range(20):
            email = f"snap-{batch}-{index}@example.com"
            status, answer, _ = leader.request("POST", "/api/v1/auth/register",
                                               {"email": email, "password": PASSWORD, "first_name": "S"})
            if status == 201:
                users[email] = answer["id"]
        return None

    stored, first = wait_for(snapshots_pruned, "two snapshots stored and the log pruned", attempts=120, pause=1)
    print(f"  {stored} snapshots stored; the cluster's log now starts at LSN {first}")
    newcomer = Node("n4", binary, work, postgres.url)
    cluster.nodes.append(newcomer)
    newcomer.start()
    target = cluster.caught_up()
    log = open(os.path.join(work, "n4-1.log")).read()
    if "starting from the cluster's snapshot" not in log:
        raise Failure("the new node did not start from the cluster's snapshot")
    for email, user_id in users.items():
        status, _ = newcomer.read(f"/api/v1/users/{user_id}", token=admin)
        if status != 200:
            raise Failure(f"the new node lacks {email} ({status})")
    print(f"  a new node started from the snapshot, caught up to LSN {target}, and has all {len(users)} users")


def scenario_replay_from_cluster(cluster, postgres, admin, binary, work, from_snapshot):
    """`tessera replay --cluster` rebuilds the state at an LSN from the cluster's log — after its stored snapshot
    when `from_snapshot`, from its start otherwise."""
    leader = cluster.wait_for_leader()
    ids = {}
    for name in ("before", "after"):
        status, answer, _ = leader.request("POST", "/api/v1/auth/register",
                                           {"email": f"{name}-{from_snapshot}@replay.example", "password": PASSWORD, "first_name": "R"})
        if status != 201:
            raise Failure(f"registration failed: {status} {answer}")
        ids[name] = answer["id"]
        if name == "before":
            until = leader.health()["applied_lsn"]
    out = os.path.join(work, f"replayed-{from_snapshot}")
    result = subprocess.run([binary, "replay", "--cluster", postgres.url, "--until", str(until), "--out", out,
                             "--shards", "4"], capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        raise Failure(f"tessera replay --cluster failed: {result.stdout} {result.stderr}")
    expected = "its snapshot at LSN" if from_snapshot else "its log from the start"
    if expected not in result.stdout:
        raise Failure(f"the replay did not start from {expected}: {result.stdout}")
    port = free_port()
    with open(out + ".log", "w") as log:
        server = subprocess.Popen([binary, "serve", "--data", out, "--port", str(port), "--shards", "4",
                                   "--issuer", ISSUER, "--signing", "eddsa"], stdout=log, stderr=log)
    try:
        replayed = Node("replayed", binary, work, "")
        replayed.port = port
        replayed.process = server
        replayed.read("/health")
        status_before, _ = replayed.read(f"/api/v1/users/{ids['before']}", token=admin)
        status_after, _ = replayed.read(f"/api/v1/users/{ids['after']}", token=admin)
    finally:
        server.terminate()
        server.wait(timeout=60)
    if status_before != 200 or status_after != 404:
        raise Failure(f"the state at LSN {until}: the user made before is {status_before}, after {status_after}")
    print(f"  replayed the cluster to LSN {until} from {expected}: the user made before is there, the one after not")


def scenario_damaged_log(cluster, postgres, binary, work):
    """A changed byte in the cluster's log is found by a node that applies it: it stops, saying why, rather than
    apply something the leader never wrote."""
    leader = cluster.wait_for_leader()
    status, answer, _ = leader.request("POST", "/api/v1/auth/register",
                                       {"email": "last@damage.example", "password": PASSWORD, "first_name": "L"})
    if status != 201:
        raise Failure(f"registration failed: {status} {answer}")
    cluster.caught_up()
    postgres.query("UPDATE tessera_log SET frames = overlay(frames PLACING '\\x00ff'::bytea FROM 17) "
                   "WHERE first_lsn = (SELECT max(first_lsn) FROM tessera_log)")
    newcomer = Node("n5", binary, work, postgres.url)
    try:
        newcomer.start()
    except Failure:
        pass  # it may stop before it answers
    wait_for(lambda: not newcomer.alive(), "the node that met the damaged batch to stop", attempts=1200)
    log = open(os.path.join(work, "n5-1.log")).read()
    if newcomer.process.returncode != 1 or "stopped following the cluster" not in log or "checksum" not in log:
        raise Failure(f"the damaged batch did not stop the node with a clear error (exit "
                      f"{newcomer.process.returncode}):\n{log[-2000:]}")
    line = next(line for line in log.splitlines() if "stopped following the cluster" in line)
    print("  " + line.split("] ", 1)[-1][:200])


def scenario_oauth_client_through_follower(cluster):
    """authlib and PyJWT (Tests/Interop/authlib_flow.py) run the OAuth flows against a follower: authorization code
    with PKCE, a confidential client, refresh, introspection, revocation, EdDSA verified through JWKS — the changes
    forwarded to the leader, the reads answered by the follower with the cluster's keys."""
    follower = next(node for node in cluster.nodes if node.address == ISSUER)
    role = follower.health()["role"]
    if role != "follower":
        raise Failure(f"{follower.name} was meant to follow, and is {role}")
    result = subprocess.run(
        [sys.executable, os.path.join(HERE, "..", "Interop", "authlib_flow.py"), follower.address, ROOT, PASSWORD],
        capture_output=True, text=True, timeout=300)
    if result.returncode != 0 or "all checks passed" not in result.stdout:
        raise Failure(f"authlib_flow.py against the follower failed:\n{result.stdout}\n{result.stderr}")
    print(f"  authlib and PyJWT: every OAuth check passed against {follower.name}, a follower")


def scenario_bad_options(binary, postgres):
    """A cluster option that cannot work is refused at start with a clear message, before anything is touched."""
    cases = [
        (["--cluster", "mysql://x@y/z", "--issuer", "http://a"], "--cluster: postgres://"),
        (["--cluster", postgres.url], "--issuer: required with --cluster"),
        (["--cluster", postgres.url, "--issuer", "http://a", "--lease-milliseconds", "5"], "--lease-milliseconds"),
        (["--cluster", postgres.url, "--issuer", "http://a", "--advertise", "ftp://x"], "--advertise"),
        (["--cluster", "postgres://u@h/d?sslmode=sometimes", "--issuer", "http://a"], "sslmode"),
    ]
    for arguments, expected in cases:
        result = subprocess.run([binary, "serve", "--data", "/nonexistent/never-made"] + arguments,
                                capture_output=True, text=True, timeout=60)
        if result.returncode == 0 or expected not in result.stderr:
            raise Failure(f"serve {' '.join(arguments)}: exit {result.returncode}, said {result.stderr!r}")
    print(f"  {len(cases)} bad cluster options refused at start, each naming the option")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", required=True)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--only", help="comma-separated scenario names to run (default: all)")
    arguments = parser.parse_args()
    binary = os.path.abspath(arguments.binary)
    work = tempfile.mkdtemp(prefix="tessera-cluster-")
    passed = failed = 0
    postgres = Postgres(work)
    postgres.start()
    nodes = []
    try:
        postgres.create_database()
        nodes = [Node(name, binary, work, postgres.url) for name in ("n1", "n2", "n3")]
        global ISSUER
        ISSUER = nodes[1].address
        cluster = Cluster(nodes)
        for node in nodes:
            node.start()
        cluster.wait_for_leader()
        admin = admin_token(cluster)
        cluster.caught_up()
        for name, scenario in [
            ("bad options", lambda: scenario_bad_options(binary, postgres)),
            ("OAuth client through a follower", lambda: scenario_oauth_client_through_follower(cluster)),
            ("replay from the cluster's log", lambda: scenario_replay_from_cluster(
                cluster, postgres, admin, binary, work, from_snapshot=False)),
            ("crash", lambda: scenario_crash(cluster, admin, arguments.rounds)),
            ("pause", lambda: scenario_pause(cluster)),
            ("database down", lambda: scenario_database_down(cluster, postgres, admin)),
            ("revocation across nodes", lambda: scenario_revocation(cluster)),
            ("snapshot bootstrap", lambda: scenario_snapshot_bootstrap(cluster, postgres, admin, binary, work)),
            ("replay from the cluster", lambda: scenario_replay_from_cluster(
                cluster, postgres, admin, binary, work, from_snapshot=True)),
            # Last: it damages the cluster's log.
            ("damaged cluster log", lambda: scenario_damaged_log(cluster, postgres, binary, work)),
        ]:
            if arguments.only and name not in arguments.only.split(","):
                continue
            print(f"{name}:", flush=True)
            try:
                scenario()
                passed += 1
                print(f"  passed", flush=True)
            except Failure as failure:
                failed += 1
                print(f"  FAILED: {failure}", flush=True)
            except Exception as error:  # a scenario that broke (a node gone, a refused connection): a failure too
                failed += 1
                print(f"  FAILED: {type(error).__name__}: {error}", flush=True)
    finally:
        for node in nodes:
            node.stop()
        try:
            postgres.stop()
        except subprocess.CalledProcessError:
            pass
    print(f"{passed} passed, {failed} failed")
    if failed:
        print(f"logs kept in {work}")
        sys.exit(1)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
