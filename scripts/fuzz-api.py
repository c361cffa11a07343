#!/usr/bin/env python3
"""Fuzz the HTTP API with schemathesis, as an authenticated superuser, against the real `tessera serve`.

Starts the debug binary that `swift test` built on a fresh data directory (rate limits off, a first
superuser from the environment), logs in, and runs schemathesis over every operation of
`/api/v1/openapi.json` with a bounded number of examples each. It fails when any answer is a 5xx, an error
outside the envelope, or a response the document does not describe. Prints how many requests it sent.

Usage: scripts/fuzz-api.py [--binary .build/debug/tessera] [--examples 25]
"""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

PASSWORD = "Correct-Horse-42"

# Operations that end the fuzzer's own session (logging out everywhere; deleting a session whose id it found in
# `GET /sessions/me`): they run in a second pass of their own, so that the first keeps a working token.
SESSION_ENDING = ["/api/v1/auth/logout-all", "/api/v1/sessions/{session_id}"]
# Operations that call the social login providers, which sit on a closed port here: a request that passes every
# check reaches the provider and gets the documented 503 (SYS_007), a 5xx that is the dependency's, not a defect.
# They run in a pass of their own without the "no 5xx" check; every other check still applies.
PROVIDER_CALLING = ["/api/v1/oauth/authorize/{provider}", "/api/v1/oauth/callback/{provider}",
                    "/api/v1/oauth/link/{provider}", "/signin/{provider}", "/signin/{provider}/callback"]


def start_server(binary: str, data: str, log_path: str) -> tuple[subprocess.Popen, int]:
    # Social login on, with providers on a closed local port: the routes run their checks, and a call that
    # reaches a provider gets the documented 503.
    env = dict(os.environ, TESSERA_FIRST_SUPERUSER_EMAIL="root@example.com", TESSERA_FIRST_SUPERUSER_PASSWORD=PASSWORD,
               TESSERA_OIDC_PROVIDERS="a", TESSERA_OIDC_A_ISSUER="http://127.0.0.1:9", TESSERA_OIDC_A_CLIENT_ID="fuzz",
               TESSERA_OIDC_A_CLIENT_SECRET="fuzz", TESSERA_GITHUB_CLIENT_ID="fuzz", TESSERA_GITHUB_CLIENT_SECRET="fuzz",
               TESSERA_GITHUB_BASE_URL="http://127.0.0.1:9", TESSERA_GITHUB_API_URL="http://127.0.0.1:9")
    log = open(log_path, "w")
    process = subprocess.Popen([binary, "serve", "--data", data, "--port", "0", "--bcrypt-cost", "4",
                                "--rate-limit", "off", "--durability", "none"], stdout=log, stderr=log, env=env)
    for _ in range(400):
        with open(log_path) as text:
            match = re.search(r"serving on http://127\.0\.0\.1:(\d+)", text.read())
        if match:
            return process, int(match.group(1))
        if process.poll() is not None:
            break
        time.sleep(0.05)
    process.kill()
    sys.exit(f"the server did not start:\n{open(log_path).read()}")


def post(url: str, body: dict, token: str | None = None) -> dict:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.load(answer)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=".build/debug/tessera")
    parser.add_argument("--examples", type=int, default=25)
    arguments = parser.parse_args()
    if shutil.which("st") is None and shutil.which("schemathesis") is None:
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "schemathesis"], check=True)
    command = shutil.which("st") or shutil.which("schemathesis")

    workspace = tempfile.mkdtemp(prefix="tessera-fuzz-")
    server, port = start_server(arguments.binary, workspace + "/data", workspace + "/serve.log")
    try:
        base = f"http://127.0.0.1:{port}"
        def login() -> str:
            return post(base + "/api/v1/auth/login", {"email": "root@example.com", "password": PASSWORD})["access_token"]

        # Both passes' tokens up front: the fuzzer's failed logins may lock the account for a while.
        token, second_token = login(), login()
        # Something for the fuzzer to find: an organization the superuser owns.
        post(base + "/api/v1/organizations", {"name": "Fuzz", "slug": "fuzz"}, token)
        requests = 0
        status = 0
        everything_else = [argument for path in SESSION_ENDING + PROVIDER_CALLING
                           for argument in ("--exclude-path", path)]
        session_ending = [argument for path in SESSION_ENDING for argument in ("--include-path", path)]
        provider_calling = [argument for path in PROVIDER_CALLING for argument in ("--include-path", path)]
        passes = [(everything_else, token, ""), (provider_calling, token, ",not_a_server_error"),
                  (session_ending, second_token, "")]
        for number, (selection, bearer, also_excluded) in enumerate(passes):
            report = f"{workspace}/report-{number}.ndjson"
            run = [command, "run", base + "/api/v1/openapi.json", "--checks", "all",
                   "--exclude-checks", "positive_data_acceptance,ignored_auth" + also_excluded,
                   "--max-examples", str(arguments.examples), "--seed", "1", "--workers", "1",
                   "--phases", "examples,coverage,fuzzing", "-H", f"Authorization: Bearer {bearer}",
                   "--report", "ndjson", "--report-ndjson-path", report, "--request-timeout", "10"] + selection
            returncode = subprocess.run(run).returncode
            status = status or returncode
            if os.path.exists(report):
                with open(report) as events:
                    requests += sum(line.count('"request":') for line in events)
        print(f"schemathesis sent about {requests} requests; exit status {status}")
        if server.poll() is not None:
            print("the server exited during the run:\n" + open(workspace + "/serve.log").read())
            return 1
        return status
    finally:
        server.send_signal(signal.SIGKILL)
        server.wait()
        shutil.rmtree(workspace, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
