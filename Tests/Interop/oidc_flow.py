#!/usr/bin/env python3
"""Tessera as an OpenID Connect provider, driven by relying-party libraries nobody here wrote, with a real browser:

- pyoidc (`oic`, a certified relying party) discovers Tessera, runs the code flow with PKCE and a nonce as a
  confidential client (RS256 ID tokens), and itself verifies the ID token (signature from the JWKS, iss, aud, exp,
  nonce, at_hash); it reads userinfo and refreshes;
- authlib's OpenID Connect client does the same as a public client whose ID tokens are ES256, validating with
  `CodeIDToken` (and refusing the token when it expects another nonce);
- headless Chromium signs in on Tessera's page and approves on its consent page for each;
- RP-initiated logout with pyoidc's ID token as hint sends the browser to the registered post-logout URI with its
  state; the back-channel logout token POSTed to pyoidc's client (an HTTPS receiver of a private CA) verifies with
  PyJWT against the JWKS (iss, aud, events, sid of the ID token, no nonce); authlib's online grant (no
  offline_access) ended with the sign-in, pyoidc's offline one lives on.

Tessera must run with `--outbound-private-addresses --outbound-ca-file FOLDER/ca.pem` (the receiver is on loopback).
Usage: oidc_flow.py TESSERA_URL SUPERUSER_EMAIL SUPERUSER_PASSWORD CERTIFICATE_FOLDER [ARTEFACT_FOLDER]
Prints `all checks passed` and exits 0, or names the first check that failed and exits 1.
"""
import os
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer

import jwt as pyjwt
import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.jose import JsonWebKey, jwt as authlib_jwt
from authlib.oidc.core import CodeIDToken
from oic.oic import Client as OicClient
from oic.oic.message import AuthorizationResponse, RegistrationResponse
from oic.utils.authn.client import CLIENT_AUTHN_METHOD
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from chromium import chromium
from tls_documents import DocumentServer
from checks import check, free_port, wait_for

TESSERA, ROOT, PASSWORD, CERTIFICATES = sys.argv[1:5]
ARTEFACTS = sys.argv[5] if len(sys.argv) > 5 else None
USER, USER_PASSWORD = "oidc-user@example.com", "Correct-Horse-42"


def main():
    receiver = DocumentServer(CERTIFICATES, {})
    callbacks = {}
    port = free_port()
    base = f"http://127.0.0.1:{port}"

    class Callback(BaseHTTPRequestHandler):
        def do_GET(self):
            parts = urllib.parse.urlsplit(self.path)
            callbacks[parts.path] = dict(urllib.parse.parse_qsl(parts.query))
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"done")

        def log_message(self, *arguments):
            pass

    threading.Thread(target=HTTPServer(("127.0.0.1", port), Callback).serve_forever, daemon=True).start()

    http = requests.Session()
    root = http.post(f"{TESSERA}/api/v1/auth/login", json={"email": ROOT, "password": PASSWORD}).json()["access_token"]
    registered = http.post(f"{TESSERA}/api/v1/auth/register",
                           json={"email": USER, "password": USER_PASSWORD, "first_name": "Olive", "last_name": "Idc"})
    check(registered.status_code == 201, "the user registers")
    user_id = registered.json()["id"]

    def client(name, kind, path, algorithm, backchannel):
        body = {"client_name": name, "client_type": kind, "redirect_uris": [base + path],
                "scopes": ["openid", "profile", "email", "offline_access"],
                "post_logout_redirect_uris": [base + "/bye"], "id_token_signed_response_alg": algorithm}
        if backchannel:
            body["backchannel_logout_uri"] = receiver.url("/backchannel")
        answer = http.post(f"{TESSERA}/api/v1/oauth/provider/clients", json=body,
                           headers={"Authorization": f"Bearer {root}"})
        check(answer.status_code == 201, f"the superuser registers {name}")
        return answer.json()

    oic_client = client("pyoidc RP", "confidential", "/oic", "RS256", True)
    authlib_client = client("authlib RP", "public", "/authlib", "ES256", False)

    driver = chromium()
    try:
        def browse(url, path, consent_shot=None):
            callbacks.pop(path, None)
            driver.get(url)
            if driver.find_element(By.TAG_NAME, "h1").text == "Sign in":
                driver.find_element(By.ID, "email").send_keys(USER)
                driver.find_element(By.ID, "password").send_keys(USER_PASSWORD)
                driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
            WebDriverWait(driver, 60).until(lambda d: d.title.startswith("Allow") or path in callbacks)
            if path not in callbacks:
                if consent_shot and ARTEFACTS:
                    os.makedirs(ARTEFACTS, exist_ok=True)
                    driver.save_screenshot(os.path.join(ARTEFACTS, consent_shot))
                driver.find_element(By.CSS_SELECTOR, "button[value=true]").click()
            wait_for(lambda: path in callbacks, f"the browser comes back to {path}")
            return callbacks[path]

        # pyoidc: discovery, code + PKCE + nonce, ID token verified by the library, userinfo, refresh.
        rp = OicClient(client_authn_method=CLIENT_AUTHN_METHOD, config={"code_challenge": {"method": "S256"}})
        rp.provider_config(TESSERA)
        check(rp.provider_info["issuer"] == TESSERA, "pyoidc discovers Tessera (issuer compared)")
        rp.store_registration_info(RegistrationResponse(
            client_id=oic_client["client_id"], client_secret=oic_client["client_secret"],
            redirect_uris=[base + "/oic"], token_endpoint_auth_method="client_secret_basic"))
        state, nonce = "st-oic", "nonce-oic-1"
        challenge, verifier = rp.add_code_challenge()
        request = rp.construct_AuthorizationRequest(request_args={
            "client_id": rp.client_id, "response_type": "code", "scope": ["openid", "profile", "email", "offline_access"],
            "nonce": nonce, "redirect_uri": base + "/oic", "state": state, **challenge})
        query = browse(request.request(rp.provider_info["authorization_endpoint"]), "/oic", "consent-oidc.png")
        check(query.get("iss") == TESSERA, "the authorization response names the issuer")
        response = rp.parse_response(AuthorizationResponse, info=urllib.parse.urlencode(query), sformat="urlencoded")
        tokens = rp.do_access_token_request(
            state=response["state"], request_args={"code": response["code"], "code_verifier": verifier,
                                                   "redirect_uri": base + "/oic"},
            authn_method="client_secret_basic")
        id_token = tokens["id_token"]
        check(id_token["nonce"] == nonce and id_token["sub"] == user_id, "pyoidc verified the ID token (nonce, sub)")
        check(id_token.jws_header["alg"] == "RS256", "signed RS256")
        hint = tokens["id_token_jwt"]
        info = rp.do_user_info_request(state=state)
        check(info["sub"] == user_id and info["email"] == USER and info["family_name"] == "Idc",
              "pyoidc reads userinfo")
        refreshed = rp.do_access_token_refresh(state=state, authn_method="client_secret_basic")
        check("access_token" in refreshed and "id_token" in refreshed, "pyoidc refreshes (a new ID token too)")

        # authlib: a public client with PKCE, ES256 ID tokens validated by CodeIDToken.
        metadata = http.get(f"{TESSERA}/.well-known/openid-configuration").json()
        jwks = JsonWebKey.import_key_set(http.get(metadata["jwks_uri"]).json())
        session = OAuth2Session(authlib_client["client_id"], scope="openid profile email",
                                redirect_uri=base + "/authlib", code_challenge_method="S256")
        code_verifier = "v" * 64
        url, state = session.create_authorization_url(
            metadata["authorization_endpoint"], nonce="nonce-authlib", code_verifier=code_verifier)
        query = browse(url, "/authlib")
        token = session.fetch_token(metadata["token_endpoint"], code=query["code"], code_verifier=code_verifier)
        claims = authlib_jwt.decode(
            token["id_token"], jwks, claims_cls=CodeIDToken,
            claims_options={"iss": {"essential": True, "value": TESSERA}},
            claims_params={"nonce": "nonce-authlib", "client_id": authlib_client["client_id"],
                           "access_token": token["access_token"]})
        claims.validate()
        check(claims.header["alg"] == "ES256" and claims["sub"] == user_id,
              "authlib validates the ES256 ID token (iss, aud, exp, nonce, at_hash)")
        wrong = authlib_jwt.decode(
            token["id_token"], jwks, claims_cls=CodeIDToken,
            claims_params={"nonce": "another", "client_id": authlib_client["client_id"]})
        try:
            wrong.validate()
            check(False, "authlib refuses the ID token when it expects another nonce")
        except Exception:
            check(True, "authlib refuses the ID token when it expects another nonce")
        info = session.get(metadata["userinfo_endpoint"]).json()
        check(info.get("name") == "Olive Idc", "authlib reads userinfo")

        # RP-initiated logout with pyoidc's ID token as hint, in the browser.
        logout = metadata["end_session_endpoint"] + "?" + urllib.parse.urlencode(
            {"id_token_hint": hint, "post_logout_redirect_uri": base + "/bye", "state": "bye-1"})
        callbacks.pop("/bye", None)
        driver.get(logout)
        wait_for(lambda: "/bye" in callbacks, "the browser lands on the registered post-logout URI")
        check(callbacks["/bye"].get("state") == "bye-1", "with its state")
        check(driver.get_cookie("tessera_session") is None, "and Tessera's session cookie is gone")

        wait_for(lambda: any(path == "/backchannel" for path, _ in receiver.posts), "a logout token arrives")
        body = dict(urllib.parse.parse_qsl([b for p, b in receiver.posts if p == "/backchannel"][0]))
        signing_key = pyjwt.PyJWKClient(metadata["jwks_uri"]).get_signing_key_from_jwt(body["logout_token"])
        logout_claims = pyjwt.decode(body["logout_token"], signing_key.key, algorithms=["RS256"],
                                     audience=oic_client["client_id"], issuer=TESSERA)
        check("http://schemas.openid.net/event/backchannel-logout" in logout_claims["events"],
              "PyJWT verifies the logout token (signature, iss, aud) and its event")
        check(logout_claims["sid"] == id_token["sid"] and "nonce" not in logout_claims,
              "it names the ID token's sid, and no nonce")
        check(pyjwt.get_unverified_header(body["logout_token"])["typ"] == "logout+jwt", "typed logout+jwt")
        try:
            session.refresh_token(metadata["token_endpoint"])
            check(False, "authlib's online grant ended with the sign-in")
        except Exception:
            check(True, "authlib's online grant ended with the sign-in")
        again = rp.do_access_token_refresh(state="st-oic", authn_method="client_secret_basic")
        check("access_token" in again, "pyoidc's offline_access grant lives on")
    finally:
        driver.quit()
        receiver.stop()
    print("all checks passed", flush=True)


main()
