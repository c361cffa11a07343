#!/usr/bin/env python3
"""HTTPS on this machine for the tests: a private CA and certificates (made with `cryptography`), and a small
HTTPS server answering fixed documents — as a client's web server serves its client ID metadata document.

Usage: tls_documents.py certificates FOLDER
Writes FOLDER/ca.pem (the CA to trust: `tessera serve --outbound-ca-file`), FOLDER/server.pem and server.key
(for localhost, 127.0.0.1 and ::1, signed by the CA), and FOLDER/untrusted.pem and untrusted.key (the same names,
self-signed: a server whose certificate must not verify).
"""
import datetime
import ipaddress
import os
import ssl
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def _name(common):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _write(folder, stem, key, certificate):
    with open(os.path.join(folder, stem + ".key"), "wb") as out:
        out.write(key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    with open(os.path.join(folder, stem + ".pem"), "wb") as out:
        out.write(certificate.public_bytes(serialization.Encoding.PEM))


def certificates(folder):
    os.makedirs(folder, exist_ok=True)
    now = datetime.datetime.now(datetime.timezone.utc)
    start, end = now - datetime.timedelta(days=1), now + datetime.timedelta(days=30)
    names = x509.SubjectAlternativeName([
        x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        x509.IPAddress(ipaddress.ip_address("::1"))])
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(_name("Tessera test CA")).issuer_name(_name("Tessera test CA"))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(start).not_valid_after(end)
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(
              digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
              key_encipherment=False, data_encipherment=False, key_agreement=False, encipher_only=False,
              decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    _write(folder, "ca", ca_key, ca)
    for stem, issuer, issuer_key in (("server", ca, ca_key), ("untrusted", None, None)):
        key = ec.generate_private_key(ec.SECP256R1())
        builder = (x509.CertificateBuilder().subject_name(_name("localhost"))
                   .issuer_name(issuer.subject if issuer else _name("localhost"))
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(start).not_valid_after(end).add_extension(names, critical=False)
                   .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                   .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False))
        if issuer:
            builder = builder.add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False)
        _write(folder, stem, key, builder.sign(issuer_key or key, hashes.SHA256()))


class DocumentServer:
    """HTTPS on 127.0.0.1 with the certificate `stem` of `folder`. `routes` maps a path to (status, headers,
    body) or to a function of the server returning one; every request's path is counted in `hits`; every POST
    is answered 200 and kept in `posts` as (path, body)."""

    def __init__(self, folder, routes, stem="server"):
        self.routes, self.hits, self.posts = routes, [], []
        self.release = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                outer.hits.append(self.path)
                route = outer.routes.get(self.path)
                if callable(route):
                    route = route(outer)
                status, headers, body = route or (404, {"Content-Type": "text/plain"}, b"not here")
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                outer.posts.append((self.path, self.rfile.read(length).decode()))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *arguments):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(os.path.join(folder, stem + ".pem"), os.path.join(folder, stem + ".key"))
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def url(self, path):
        return f"https://localhost:{self.port}{path}"

    def stop(self):
        self.release.set()
        self.httpd.shutdown()


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "certificates":
        print(__doc__)
        sys.exit(2)
    certificates(sys.argv[2])
    print("certificates written", flush=True)
