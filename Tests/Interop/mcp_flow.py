#!/usr/bin/env python3
"""The official MCP Python SDK against Tessera: an MCP server built with the SDK names Tessera as its
authorization server and verifies tokens by Tessera's introspection, requiring the token's audience
(`validate_token_resource`); the SDK's OAuth client, with its default settings, discovers Tessera, registers
itself (RFC 7591), sends the user to authorize, exchanges the code (with `resource`, RFC 8707, and `iss`
checked, RFC 9207), calls a tool that answers the signed-in user's id, refreshes, and calls it again.

The browser step is a real headless Chromium (Debian's chromium and chromium-driver, driven by Selenium): it is
sent to the authorization URL, signs in on Tessera's sign-in page, approves on Tessera's consent page, and lands on
the client's loopback callback with the code, the state and the issuer.

With `--client-metadata CERTIFICATE_FOLDER`, the client does not register: it names itself by the URL of its client
ID metadata document (the SDK's `client_metadata_url`), which an HTTPS server on this machine serves with a
certificate of the private CA in that folder (`tls_documents.py`); Tessera must trust that CA
(`--outbound-ca-file`) and fetch from loopback (`--outbound-private-addresses`).

Usage: mcp_flow.py TESSERA_URL SUPERUSER_EMAIL SUPERUSER_PASSWORD [ARTEFACT_FOLDER for the consent page's screenshot]
       [--client-metadata CERTIFICATE_FOLDER]
Prints `all checks passed` and exits 0, or names the first check that failed and exits 1.
"""
import asyncio
import json
import sys
import threading
import time
import urllib.parse

import os
from http.server import BaseHTTPRequestHandler, HTTPServer

import httpx2
import uvicorn
from chromium import chromium
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from mcp.client.auth import OAuthClientProvider, TokenStorage
from mcp.client.session import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.provider import AccessToken, TokenVerifier
from mcp.server.auth.settings import AuthSettings
from mcp.server.mcpserver import MCPServer
from mcp.shared.auth import AuthorizationCodeResult, OAuthClientInformationFull, OAuthClientMetadata, OAuthToken
from checks import check, free_port

ARGUMENTS = sys.argv[1:]
CERTIFICATES = None
if "--client-metadata" in ARGUMENTS:
    at = ARGUMENTS.index("--client-metadata")
    CERTIFICATES = ARGUMENTS[at + 1]
    del ARGUMENTS[at:at + 2]
TESSERA, ROOT, PASSWORD = ARGUMENTS[0], ARGUMENTS[1], ARGUMENTS[2]
ARTEFACTS = ARGUMENTS[3] if len(ARGUMENTS) > 3 else None
USER_EMAIL, USER_PASSWORD = "mcp-user@example.com", "Correct-Horse-42"


class TesseraIntrospection(TokenVerifier):
    """The MCP server's view of a token: Tessera's RFC 7662 introspection, as a confidential client."""

    def __init__(self, client_id, client_secret, resource):
        self.client_id, self.client_secret, self.resource = client_id, client_secret, resource
        self.calls = 0

    async def verify_token(self, token):
        self.calls += 1
        async with httpx2.AsyncClient() as http:
            answer = await http.post(
                f"{TESSERA}/api/v1/oauth/provider/introspect", data={"token": token},
                auth=(self.client_id, self.client_secret))
        data = answer.json()
        if answer.status_code != 200 or not data.get("active"):
            return None
        audience = data.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        resource = self.resource if self.resource in audiences else audiences[0]
        return AccessToken(
            token=token, client_id=data["client_id"], scopes=data.get("scope", "").split(),
            expires_at=data.get("exp"), resource=resource, subject=data.get("sub"))


class MemoryStorage(TokenStorage):
    def __init__(self):
        self.tokens, self.client = None, None

    async def get_tokens(self):
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken):
        self.tokens = tokens

    async def get_client_info(self):
        return self.client

    async def set_client_info(self, client_info: OAuthClientInformationFull):
        self.client = client_info


def start_mcp_server(port, verifier):
    resource = f"http://127.0.0.1:{port}/mcp"
    server = MCPServer(
        name="tessera-test", token_verifier=verifier,
        auth=AuthSettings(issuer_url=TESSERA, resource_server_url=resource, validate_token_resource=True))

    @server.tool()
    def whoami() -> str:
        """The signed-in user's id, as the token says."""
        return get_access_token().subject

    app = server.streamable_http_app()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    runner = uvicorn.Server(config)
    threading.Thread(target=runner.run, daemon=True).start()
    for _ in range(400):
        if runner.started:
            return runner, resource
        time.sleep(0.05)
    check(False, "the MCP server started")


async def main():
    async with httpx2.AsyncClient(base_url=TESSERA) as tessera:
        login = await tessera.post("/api/v1/auth/login", json={"email": ROOT, "password": PASSWORD})
        root = login.json()["access_token"]
        # The MCP server's own confidential client, for introspection.
        created = await tessera.post(
            "/api/v1/oauth/provider/clients", headers={"Authorization": f"Bearer {root}"},
            json={"client_name": "MCP server", "redirect_uris": ["https://mcp.example/unused"],
                  "client_type": "confidential", "scopes": ["openid"]})
        check(created.status_code == 201, "a superuser registers the MCP server's introspection client")
        introspector = created.json()
        registered = await tessera.post(
            "/api/v1/auth/register", json={"email": USER_EMAIL, "password": USER_PASSWORD, "first_name": "Mia"})
        check(registered.status_code == 201, "the user registers")
        user_id = registered.json()["id"]

    port = free_port()
    verifier = TesseraIntrospection(introspector["client_id"], introspector["client_secret"], None)
    runner, resource = start_mcp_server(port, verifier)
    verifier.resource = resource
    callback = {}
    visits = []
    callback_port = free_port()

    class Callback(BaseHTTPRequestHandler):
        """The client's loopback redirect URI: it takes the query and says so."""

        def do_GET(self):
            callback.update(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"signed in; you may close this window")

        def log_message(self, *arguments):
            pass

    listener = HTTPServer(("127.0.0.1", callback_port), Callback)
    threading.Thread(target=listener.serve_forever, daemon=True).start()
    redirect_uri = f"http://localhost:{callback_port}/callback"

    documents, document_url = None, None
    if CERTIFICATES:
        from tls_documents import DocumentServer
        documents = DocumentServer(CERTIFICATES, {})
        document_url = documents.url("/mcp-client.json")
        documents.routes["/mcp-client.json"] = (200, {"Content-Type": "application/json"}, json.dumps({
            "client_id": document_url, "client_name": "Tessera MCP test", "redirect_uris": [redirect_uri],
            "grant_types": ["authorization_code", "refresh_token"], "response_types": ["code"],
            "token_endpoint_auth_method": "none", "application_type": "native"}).encode())

    def run_browser(authorization_url):
        driver = chromium()
        try:
            driver.get(authorization_url)
            check(driver.find_element(By.TAG_NAME, "h1").text == "Sign in", "the browser is sent to Tessera's sign-in page")
            driver.find_element(By.ID, "email").send_keys(USER_EMAIL)
            driver.find_element(By.ID, "password").send_keys(USER_PASSWORD)
            driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
            # Wait for the next page (bounded), never for a fixed time.
            WebDriverWait(driver, 60).until(lambda d: d.title.startswith("Allow"))
            heading = driver.find_element(By.TAG_NAME, "h1").text
            check(heading == "Allow Tessera MCP test?", f"then to the consent page ({heading!r})")
            page = driver.find_element(By.TAG_NAME, "main").text
            if document_url:
                check("describes itself in a document published at localhost" in page,
                      "which says the client is known by its document, and which host publishes it")
            else:
                check("registered itself" in page and "localhost" in page,
                      "which says who registered it and where it goes")
            check(resource in page, "and names the resource")
            if ARTEFACTS:
                os.makedirs(ARTEFACTS, exist_ok=True)
                name = "consent-document.png" if document_url else "consent.png"
                driver.save_screenshot(os.path.join(ARTEFACTS, name))
            driver.find_element(By.CSS_SELECTOR, "button[value=true]").click()
            for _ in range(1200):  # bounded: a minute at most, however busy the machine
                if "code" in callback:
                    break
                time.sleep(0.05)
        finally:
            driver.quit()

    async def browser(authorization_url):
        """The user's browser: a real Chromium through Tessera's pages."""
        visits.append(authorization_url)
        await asyncio.to_thread(run_browser, authorization_url)
        check("code" in callback, "approving sends the browser back to the client with a code")
        check(callback.get("iss") == TESSERA, "the authorization response names Tessera's issuer (RFC 9207)")

    async def receive():
        return AuthorizationCodeResult(code=callback["code"], state=callback.get("state"), iss=callback.get("iss"))

    storage = MemoryStorage()
    provider = OAuthClientProvider(
        server_url=resource,
        client_metadata=OAuthClientMetadata(
            client_name="Tessera MCP test", redirect_uris=[redirect_uri],
            grant_types=["authorization_code", "refresh_token"], response_types=["code"]),
        storage=storage, redirect_handler=browser, callback_handler=receive, client_metadata_url=document_url)

    async with httpx2.AsyncClient(auth=provider, timeout=30) as http:
        async with streamable_http_client(resource, http_client=http) as (read, write, *_):
            async with ClientSession(read, write) as session:
                await session.initialize()
                first = await session.call_tool("whoami", {})
                check(not first.is_error and first.content[0].text == user_id, "a tool call answers the user's id")
                if document_url:
                    check(storage.client is not None and storage.client.client_id == document_url,
                          "the client is known by its document's URL, without registering")
                    check("/mcp-client.json" in documents.hits, "Tessera fetched the document")
                else:
                    check(storage.client is not None and storage.client.client_id, "the client registered itself")
                    check(storage.client.application_type in (None, "native"), "as a native client")
                    check("admin" not in (storage.client.scope or "").split(),
                          "asking for every scope of the metadata, it is registered without admin")
                first_token = storage.tokens.access_token
                # The access token expires in 15 minutes; make the client think it has, so that it refreshes.
                provider.context.token_expiry_time = time.time() - 1
                second = await session.call_tool("whoami", {})
                check(not second.is_error and second.content[0].text == user_id, "after a refresh, the tool answers again")
                check(storage.tokens.access_token != first_token, "the client has a new access token")
                check(len(visits) == 1, "by its refresh token: the user was not sent to authorize again")

    async with httpx2.AsyncClient() as http:
        introspected = await http.post(
            f"{TESSERA}/api/v1/oauth/provider/introspect", data={"token": storage.tokens.access_token},
            auth=(introspector["client_id"], introspector["client_secret"]))
        check(introspected.json().get("aud") == resource, "the token's audience is the MCP server (RFC 8707)")
        check(introspected.json().get("client_id") == storage.client.client_id, "and its client_id the client's")
    runner.should_exit = True
    print("all checks passed", flush=True)


asyncio.run(main())
