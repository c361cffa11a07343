#!/usr/bin/env python3
"""A real third-party OAuth client against a running Tessera: authlib drives authorization code + PKCE (public
client, `none` authentication) and the same with a confidential client (`client_secret_basic`), refresh,
introspection and revocation; PyJWT verifies the EdDSA access token from the JWKS document.

Usage: authlib_flow.py BASE_URL SUPERUSER_EMAIL PASSWORD   (exit 0 when every check holds)
"""
import secrets
import sys
import urllib.parse

import jwt
import requests
from authlib.integrations.requests_client import OAuth2Session
from checks import check

REDIRECT = "https://client.example/callback"


def main():
    base, email, password = sys.argv[1:4]
    metadata = requests.get(base + "/.well-known/oauth-authorization-server", timeout=10).json()
    check(metadata["code_challenge_methods_supported"] == ["S256"], "metadata: PKCE S256 only")
    root = requests.post(base + "/api/v1/auth/login", json={"email": email, "password": password}, timeout=10).json()
    bearer = {"Authorization": "Bearer " + root["access_token"]}

    def register(kind):
        answer = requests.post(base + "/api/v1/oauth/provider/clients", headers=bearer, timeout=10, json={
            "client_name": f"authlib {kind}", "redirect_uris": [REDIRECT], "client_type": kind,
            "scopes": ["read:users", "write:users"]})
        check(answer.status_code == 201, f"a {kind} client is registered")
        return answer.json()

    def authorize(session, verifier):
        url, state = session.create_authorization_url(metadata["authorization_endpoint"], code_verifier=verifier)
        answer = requests.get(url, headers=bearer, allow_redirects=False, timeout=10)
        location = answer.headers["Location"]
        if location.startswith(REDIRECT):
            return location
        # The consent page gets the authorize parameters; the user approves them.
        parameters = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))
        parameters.pop("client_name", None)
        decided = requests.post(base + "/api/v1/oauth/provider/authorize/consent", headers=bearer, timeout=10,
                                data={**parameters, "approved": "true"}, allow_redirects=False)
        check(decided.status_code == 302, "the consent answers with a redirect")
        return decided.headers["Location"]

    # A public client: PKCE, no secret.
    public = register("public")
    session = OAuth2Session(public["client_id"], redirect_uri=REDIRECT, scope="read:users write:users",
                            code_challenge_method="S256", token_endpoint_auth_method="none")
    verifier = secrets.token_urlsafe(48)
    location = authorize(session, verifier)
    token = session.fetch_token(metadata["token_endpoint"], authorization_response=location, code_verifier=verifier)
    check(token["token_type"].lower() == "bearer" and "refresh_token" in token, "authlib exchanged the code (PKCE)")

    # PyJWT verifies the EdDSA access token from the JWKS document: signature, issuer, audience, expiry.
    keys = jwt.PyJWKClient(metadata["jwks_uri"])
    key = keys.get_signing_key_from_jwt(token["access_token"])
    claims = jwt.decode(token["access_token"], key.key, algorithms=["EdDSA"], audience=public["client_id"],
                        issuer=metadata["issuer"])
    check(claims["client_id"] == public["client_id"] and claims["scope"] == "read:users write:users",
          "PyJWT verified the EdDSA access token against the JWKS document")

    refreshed = session.refresh_token(metadata["token_endpoint"], refresh_token=token["refresh_token"])
    check(refreshed["refresh_token"] != token["refresh_token"], "authlib refreshed, and the refresh token rotated")

    # A confidential client: client_secret_basic; it also introspects.
    confidential = register("confidential")
    server_side = OAuth2Session(confidential["client_id"], confidential["client_secret"], redirect_uri=REDIRECT,
                                scope="read:users", token_endpoint_auth_method="client_secret_basic")
    location = authorize(server_side, None)
    server_token = server_side.fetch_token(metadata["token_endpoint"], authorization_response=location)
    check("access_token" in server_token, "authlib exchanged a code with client_secret_basic")

    def introspect(value):
        return server_side.introspect_token(metadata["introspection_endpoint"], token=value).json()

    check(introspect(refreshed["access_token"])["active"] is True, "introspection: the public client's new access token is active")
    check(introspect(token["refresh_token"]) == {"active": False}, "introspection: the rotated-out refresh token is inactive")
    seen = introspect(refreshed["refresh_token"])
    check(seen["active"] is True and seen["client_id"] == public["client_id"], "introspection: the new refresh token is active")

    revoked = session.revoke_token(metadata["revocation_endpoint"], token=refreshed["refresh_token"],
                                   token_type_hint="refresh_token")
    check(revoked.status_code == 200, "authlib revoked the refresh token")
    check(introspect(refreshed["refresh_token"]) == {"active": False}, "introspection: the revoked refresh token is inactive")
    check(introspect(refreshed["access_token"]) == {"active": False}, "introspection: its access token is inactive too")
    check(introspect(server_token["access_token"])["active"] is True, "the other client's token is untouched")
    print("all checks passed")


if __name__ == "__main__":
    main()
