#!/usr/bin/env python3
"""Client ID metadata documents fetched for real: HTTPS servers on this machine (certificates of a private CA
that `tessera serve --outbound-ca-file` trusts) serve documents, good and bad, and a user authorizes clients
named by their URLs through Tessera's HTTP API. Tessera must be serving with `--outbound-private-addresses`
(the documents are on loopback) and its own consent page.

Checks: a good document gives the consent page (its host shown) and then a code, tokens for the URL, and one
fetch while its Cache-Control allows; a redirect is not followed; a document over 5 KiB, one that is not JSON, one
that does not come within the deadline and one from a server whose certificate does not verify are refused,
each saying why.

Usage: client_documents.py TESSERA_URL SUPERUSER_EMAIL SUPERUSER_PASSWORD CERTIFICATE_FOLDER
Prints `all checks passed` and exits 0, or names the first check that failed and exits 1.
"""
import base64
import hashlib
import json
import re
import sys

import requests

from tls_documents import DocumentServer
from checks import check

TESSERA, ROOT, PASSWORD, CERTIFICATES = sys.argv[1:5]
REDIRECT = "http://127.0.0.1:9/callback"


def document(url, **extra):
    body = {"client_id": url, "client_name": "Doc Tool", "redirect_uris": [REDIRECT],
            "grant_types": ["authorization_code", "refresh_token"], "response_types": ["code"],
            "token_endpoint_auth_method": "none"}
    body.update(extra)
    return json.dumps(body).encode()


def json_answer(body, **headers):
    return 200, {"Content-Type": "application/json", **headers}, body


def slow(server):
    server.release.wait(30)  # bounded: Tessera gives up long before
    return json_answer(b"{}")


def main():
    session = requests.Session()
    token = session.post(f"{TESSERA}/api/v1/auth/login", json={"email": ROOT, "password": PASSWORD}).json()["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    verifier = "v" * 64
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()

    server = DocumentServer(CERTIFICATES, {})
    untrusted = DocumentServer(CERTIFICATES, {}, stem="untrusted")
    good = server.url("/ok.json")
    server.routes.update({
        "/ok.json": json_answer(document(good), **{"Cache-Control": "public, max-age=300"}),
        "/moved.json": (302, {"Location": "/ok.json"}, b""),
        "/big.json": json_answer(document(server.url("/big.json"), software_id="x" * 6000)),
        "/page.json": (200, {"Content-Type": "text/html"}, document(server.url("/page.json"))),
        "/slow.json": slow,
    })
    untrusted.routes["/ok.json"] = json_answer(document(untrusted.url("/ok.json")))

    def authorize(client_id):
        return session.get(
            f"{TESSERA}/api/v1/oauth/provider/authorize", headers=bearer, allow_redirects=False,
            params={"response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT, "state": "s",
                    "code_challenge": challenge, "code_challenge_method": "S256", "scope": "openid"})

    page = authorize(good)
    check(page.status_code == 200 and "text/html" in page.headers.get("content-type", ""),
          f"a good document: the consent page ({page.status_code})")
    check("Published by" in page.text and "localhost" in page.text, "which names the host that publishes it")
    again = authorize(good)
    check(again.status_code == 200 and server.hits.count("/ok.json") == 1,
          "asked again within its max-age: not fetched again")

    decided = session.post(
        f"{TESSERA}/api/v1/oauth/provider/authorize/consent", headers=bearer, allow_redirects=False,
        data={"approved": "true", "response_type": "code", "client_id": good, "redirect_uri": REDIRECT,
              "state": "s", "code_challenge": challenge, "code_challenge_method": "S256", "scope": "openid"})
    location = decided.headers.get("location", "")
    code = re.search(r"[?&]code=([^&]+)", location)
    check(decided.status_code == 302 and location.startswith(REDIRECT) and code, "approving sends a code")
    tokens = session.post(
        f"{TESSERA}/api/v1/oauth/provider/token",
        data={"grant_type": "authorization_code", "code": requests.utils.unquote(code.group(1)),
              "redirect_uri": REDIRECT, "client_id": good, "code_verifier": verifier})
    check(tokens.status_code == 200, f"the code gives tokens to the client named by its URL ({tokens.text})")
    payload = tokens.json()["access_token"].split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    check(claims.get("client_id") == good, "the access token's client_id is the URL")

    def refused(client_id, says, what):
        answer = authorize(client_id)
        message = (answer.json().get("errors") or [{}])[0].get("message", "") if answer.status_code == 400 else ""
        check(answer.status_code == 400 and "location" not in answer.headers and says in message,
              f"{what}: 400, never a redirect, saying why ({answer.status_code} {message!r})")

    refused(server.url("/moved.json"), "redirects are not followed", "a redirect")
    check(server.hits.count("/ok.json") == 1, "the redirect was not followed")
    refused(server.url("/big.json"), "larger than 5120 bytes", "a document over 5 KiB")
    refused(server.url("/page.json"), "is not application/json", "an HTML answer")
    refused(server.url("/slow.json"), "did not answer in time", "a server that does not answer")
    refused(untrusted.url("/ok.json"), "certificate did not verify", "a certificate no trusted CA signed")
    server.stop()
    untrusted.stop()
    print("all checks passed", flush=True)


main()
